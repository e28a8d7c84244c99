-- Declarations per enterprise (in its role) declared in W1(T) = (T - 1 year, T], from
-- derived.declaration_months: the whole months inside W1 plus the days of its two edge months.
CREATE OR REPLACE TEMP TABLE declared_in_w1 AS
WITH by_pair AS (
    SELECT m.consignee_code, m.declarant_code,
           sum(CASE WHEN m.month = c.w1_first_month
                    THEN coalesce(list_sum(list_slice(m.days, day(c.w1_after) + 1, 31)), 0)
                    WHEN m.month = c.as_of_month
                    THEN coalesce(list_sum(list_slice(m.days, 1, day(c.as_of))), 0)
                    ELSE m.n END) AS n
    FROM derived.declaration_months m, ctx c
    WHERE m.month BETWEEN c.w1_first_month AND c.as_of_month
    GROUP BY ALL
)
SELECT e.customs_code, sum(p.n) AS n
FROM ent e JOIN by_pair p ON p.consignee_code = e.customs_code
WHERE e.enterprise_type = 'importer_exporter'
GROUP BY ALL
UNION ALL
SELECT e.customs_code, sum(p.n)
FROM ent e JOIN by_pair p ON p.declarant_code = e.customs_code
WHERE e.enterprise_type = 'customs_broker'
GROUP BY ALL;
