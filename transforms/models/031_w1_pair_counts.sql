-- Per (consignee, declarant) pair, over W1(T) = (T - 1 year, T]:
-- - declared: declarations declared in W1, from derived.declaration_months (the whole months
--   inside W1 plus the days of its two edge months);
-- - errors: error-recorded changes requested in W1 on the pair's declarations, any declaration
--   date (W2's numerator), from derived.error_changes; orphans have no pair and match no owner.
CREATE OR REPLACE TEMP TABLE w1_pair_counts AS
SELECT consignee_code, declarant_code, sum(declared) AS declared, sum(errors) AS errors
FROM (
    SELECT m.consignee_code, m.declarant_code,
           CASE WHEN m.month = c.w1_first_month
                THEN coalesce(list_sum(list_slice(m.days, day(c.w1_after) + 1, 31)), 0)
                WHEN m.month = c.as_of_month
                THEN coalesce(list_sum(list_slice(m.days, 1, day(c.as_of))), 0)
                ELSE m.n END AS declared,
           0 AS errors
    FROM derived.declaration_months m, ctx c
    WHERE m.month BETWEEN c.w1_first_month AND c.as_of_month
    UNION ALL
    SELECT ch.consignee_code, ch.declarant_code, 0, 1
    FROM derived.error_changes ch, ctx c
    WHERE ch.requested_date > c.w1_after AND ch.requested_date <= c.as_of
)
GROUP BY ALL;
