-- W2: declaration error rate over W1(T). Numerator: error-recorded changes requested in W1(T) on
-- the enterprise's declarations (any declaration date); orphan changes are left out.
-- Denominator: the enterprise's declarations declared in W1(T).
CREATE OR REPLACE TEMP TABLE error_rates AS
WITH errors AS (
    -- derived.error_changes: error-recorded changes with their declaration's owners (NULL for
    -- orphans, which then match no enterprise)
    SELECT ch.consignee_code, ch.declarant_code, count(*) AS n
    FROM derived.error_changes ch, ctx c
    WHERE ch.requested_date > c.w1_after AND ch.requested_date <= c.as_of
    GROUP BY ALL
),
errors_by_owner AS (
    SELECT e.customs_code, sum(x.n) AS n
    FROM ent e JOIN errors x ON x.consignee_code = e.customs_code
    WHERE e.enterprise_type = 'importer_exporter'
    GROUP BY ALL
    UNION ALL
    SELECT e.customs_code, sum(x.n)
    FROM ent e JOIN errors x ON x.declarant_code = e.customs_code
    WHERE e.enterprise_type = 'customs_broker'
    GROUP BY ALL
),
declared AS (
    SELECT customs_code, n FROM declared_in_w1
)
SELECT e.customs_code,
       coalesce(d.n, 0) AS declarations_w1,
       coalesce(x.n, 0) AS error_changes_w1,
       CASE WHEN coalesce(d.n, 0) > 0 THEN coalesce(x.n, 0) / d.n END AS error_rate
FROM ent e
LEFT JOIN declared d USING (customs_code)
LEFT JOIN errors_by_owner x USING (customs_code);
