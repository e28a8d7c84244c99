-- Documents per enterprise, year and batch, read from derived.declaration_years (kept in step by
-- the staging merge, so no pass over declarations here), counted for the role the enterprise's
-- type is judged by: consignee for importers/exporters, declarant for customs brokers
-- (credit-rules.md, docs). Counts are signed (a replaced row is subtracted under its own batch),
-- so a group can net to 0.
CREATE OR REPLACE TEMP TABLE documents_by_owner AS
SELECT e.customs_code, y.year AS yr, y.batch_id, sum(y.n) AS n
FROM ent e JOIN derived.declaration_years y ON y.consignee_code = e.customs_code
WHERE e.enterprise_type = 'importer_exporter'
GROUP BY ALL
UNION ALL
SELECT e.customs_code, y.year, y.batch_id, sum(y.n)
FROM ent e JOIN derived.declaration_years y ON y.declarant_code = e.customs_code
WHERE e.enterprise_type = 'customs_broker'
GROUP BY ALL;
