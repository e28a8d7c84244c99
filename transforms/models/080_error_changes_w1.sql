-- W2's numerator: error-recorded changes requested in W1(T) on the enterprise's declarations (any
-- declaration date); orphan changes are left out. The rate (over declared_in_w1, its denominator)
-- is taken in enterprise_measures, so this runs beside the W1 count.
CREATE OR REPLACE TEMP TABLE error_changes_w1 AS
WITH errors AS (
    -- derived.error_changes: error-recorded changes with their declaration's owners (NULL for
    -- orphans, which then match no enterprise)
    SELECT ch.consignee_code, ch.declarant_code, count(*) AS n
    FROM derived.error_changes ch, ctx c
    WHERE ch.requested_date > c.w1_after AND ch.requested_date <= c.as_of
    GROUP BY ALL
),
by_owner AS (
    -- an enterprise has one type, so one row each
    SELECT e.customs_code, sum(x.n) AS n
    FROM ent e JOIN errors x ON x.consignee_code = e.customs_code
    WHERE e.enterprise_type = 'importer_exporter'
    GROUP BY ALL
    UNION ALL
    SELECT e.customs_code, sum(x.n)
    FROM ent e JOIN errors x ON x.declarant_code = e.customs_code
    WHERE e.enterprise_type = 'customs_broker'
    GROUP BY ALL
)
SELECT * FROM by_owner;
