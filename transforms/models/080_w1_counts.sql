-- W1(T) counts per enterprise, in the role its type is judged by (credit-rules.md, docs):
-- consignee for importers/exporters, declarant for customs brokers. An enterprise has one type,
-- so one row each. The W2 rate (errors over declared) is taken in enterprise_measures.
CREATE OR REPLACE TEMP TABLE w1_counts AS
SELECT e.customs_code, sum(p.declared) AS declared, sum(p.errors) AS errors
FROM ent e JOIN w1_pair_counts p ON p.consignee_code = e.customs_code
WHERE e.enterprise_type = 'importer_exporter'
GROUP BY ALL
UNION ALL
SELECT e.customs_code, sum(p.declared), sum(p.errors)
FROM ent e JOIN w1_pair_counts p ON p.declarant_code = e.customs_code
WHERE e.enterprise_type = 'customs_broker'
GROUP BY ALL;
