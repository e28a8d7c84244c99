-- Documents per enterprise, year and batch, read from derived.declaration_counts (kept in step by
-- the staging merge, so no pass over declarations here), counted for the role the enterprise's
-- type is judged by: consignee for importers/exporters, declarant for customs brokers
-- (credit-rules.md, docs). n_w1: those declared in W1(T) = (T - 1 year, T]: the whole months
-- inside it plus the days of its two edge months. Counts are signed (a replaced row is subtracted
-- under its own batch), so a group can net to 0.
CREATE OR REPLACE TEMP TABLE documents_by_owner AS
WITH counts AS (
    SELECT dc.consignee_code, dc.declarant_code, dc.batch_id, year(dc.month) AS yr,
           sum(dc.n) AS n,
           sum(CASE WHEN dc.month > c.w1_first_month AND dc.month < c.as_of_month THEN dc.n
                    WHEN dc.month = c.w1_first_month
                    THEN coalesce(list_sum(list_slice(dc.days, day(c.w1_after) + 1, 31)), 0)
                    WHEN dc.month = c.as_of_month
                    THEN coalesce(list_sum(list_slice(dc.days, 1, day(c.as_of))), 0)
                    ELSE 0 END) AS n_w1
    FROM derived.declaration_counts dc, ctx c
    WHERE dc.doc_kind IN ('entry', 'filing_list', 'manifest')
    GROUP BY ALL
)
SELECT e.customs_code, x.yr, x.batch_id, sum(x.n) AS n, sum(x.n_w1) AS n_w1
FROM ent e JOIN counts x ON x.consignee_code = e.customs_code
WHERE e.enterprise_type = 'importer_exporter'
GROUP BY ALL
UNION ALL
SELECT e.customs_code, x.yr, x.batch_id, sum(x.n), sum(x.n_w1)
FROM ent e JOIN counts x ON x.declarant_code = e.customs_code
WHERE e.enterprise_type = 'customs_broker'
GROUP BY ALL;
