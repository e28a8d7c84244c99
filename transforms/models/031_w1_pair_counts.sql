-- Per (consignee, declarant) pair, over W1(T) = (T - 1 year, T]:
-- - declared: declarations declared in W1, from derived.declaration_months (the whole months
--   inside W1 plus the days of its two edge months);
-- - errors: error-recorded changes requested in W1 on the pair's declarations, any declaration
--   date (W2's numerator), from derived.error_changes; orphans have no pair and match no owner.
CREATE OR REPLACE TEMP TABLE w1_pair_counts AS
SELECT consignee_code, declarant_code, sum(declared) AS declared, sum(errors) AS errors
FROM (
    SELECT m.consignee_code, m.declarant_code,
           CASE WHEN m.month = getvariable('w1_first_month')  -- n < 0: rows that left staging
                THEN sign(m.n) * len(list_filter(m.row_days, lambda d: d > getvariable('w1_after_day')))
                WHEN m.month = getvariable('as_of_month')
                THEN sign(m.n) * len(list_filter(m.row_days, lambda d: d <= getvariable('as_of_day')))
                ELSE m.n END AS declared,
           0 AS errors
    FROM derived.declaration_months m
    WHERE m.month BETWEEN getvariable('w1_first_month') AND getvariable('as_of_month')
    UNION ALL
    SELECT ch.consignee_code, ch.declarant_code, 0, 1
    FROM derived.error_changes ch
    WHERE ch.requested_date > getvariable('w1_after') AND ch.requested_date <= getvariable('as_of')
)
GROUP BY ALL;
