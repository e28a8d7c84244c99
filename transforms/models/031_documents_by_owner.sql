-- Documents per enterprise and year, counted for the role its type is judged by:
-- consignee for importers/exporters, declarant for customs brokers (credit-rules.md, docs).
CREATE OR REPLACE TEMP TABLE documents_by_owner AS
SELECT e.customs_code, dc.yr, dc.in_w1, dc.batch_id, dc.n
FROM ent e
JOIN declaration_counts dc
  ON dc.consignee_code = e.customs_code
WHERE e.enterprise_type = 'importer_exporter'
UNION ALL
SELECT e.customs_code, dc.yr, dc.in_w1, dc.batch_id, dc.n
FROM ent e
JOIN declaration_counts dc
  ON dc.declarant_code = e.customs_code
WHERE e.enterprise_type = 'customs_broker';
