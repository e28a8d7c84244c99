-- The outcomes of A2-A7 and W1-W5 at T. What they judge is all in enterprise_measures, so they
-- are decided beside the dishonest breaches; breach_outcomes (100) decides D1-D8 and A1. Only what the
-- view cannot infer is kept (see 100).
CREATE OR REPLACE TEMP TABLE measured_outcomes AS
SELECT *
FROM (
WITH a6_expiry AS (
    SELECT x.customs_code, min(x.d) AS clears_on
    FROM penalty_exits x JOIN enterprise_measures i USING (customs_code)
    WHERE NOT certification_penalties_exceed(i.enterprise_type, x.n, x.f, x.max_fine, i.docs_py)
    GROUP BY ALL
),
-- what the A and W rules judge, one row per enterprise
judged AS MATERIALIZED (
    SELECT i.*, a6.clears_on AS a6_clears_on,
           certification_penalties_exceed(i.enterprise_type, i.counted_penalties,
               i.counted_fines_cny, coalesce(i.max_single_fine_cny, 0), i.docs_py) AS a6_fails,
           (i.score IS NULL OR i.pending_items > 0 OR i.score_fails > 0
               OR i.ic_ts_basically_meets > param('a7_max_basically_meets')
               OR i.score < param('a7_min_score')) AS a7_fails,
           CASE WHEN i.docs_py > 0
                THEN i.counted_penalties >= param('w1_headroom_share') * i.ratio * i.docs_py
                     AND i.counted_fines_cny >= param('w1_headroom_share') * i.amount
                ELSE i.counted_fines_cny >= param('w1_headroom_share') * i.amount END AS thin,
           i.financial_years = param('a5_years') AND i.leverage_all_high AS a5_fails
    FROM enterprise_measures i
    LEFT JOIN a6_expiry a6 USING (customs_code)
)
-- A2-A7, the advanced-certification blockers after A1
SELECT customs_code, 'A2',
       CASE WHEN cooldown_event_date IS NOT NULL THEN 'fail' ELSE 'pass' END,
       CASE WHEN cooldown_event_date IS NOT NULL THEN 'fail' ELSE 'pass' END,
       expiry_after(cooldown_event_date, param('cooldown_years')), NULL
FROM judged
UNION ALL
SELECT customs_code, 'A3',
       CASE WHEN open_cases > 0 THEN 'fail' ELSE 'pass' END,
       CASE WHEN open_cases > 0 THEN 'fail' ELSE 'pass' END, NULL, NULL
FROM judged
UNION ALL
SELECT customs_code, 'A4',
       CASE WHEN arrears_count > 0 THEN 'fail' ELSE 'pass' END,
       CASE WHEN arrears_count > 0 THEN 'fail' ELSE 'pass' END, NULL, NULL
FROM judged
UNION ALL
SELECT customs_code, 'A5',
       CASE WHEN a5_fails THEN 'fail' ELSE 'pass' END,
       CASE WHEN a5_fails THEN 'fail' ELSE 'pass' END, NULL, NULL
FROM judged
UNION ALL
SELECT customs_code, 'A6',
       CASE WHEN a6_fails THEN 'fail' ELSE 'pass' END,
       CASE WHEN a6_fails THEN 'fail' ELSE 'pass' END,
       CASE WHEN a6_fails THEN a6_clears_on END, NULL
FROM judged
UNION ALL
SELECT customs_code, 'A7',
       CASE WHEN a7_fails THEN 'fail' ELSE 'pass' END,
       CASE WHEN score IS NULL THEN 'fail_missing' WHEN a7_fails THEN 'fail' ELSE 'pass' END,
       NULL, NULL
FROM judged
UNION ALL
-- W1-W5: warnings, never blockers
SELECT customs_code, 'W1',
       CASE WHEN thin THEN 'warn' ELSE 'pass' END,
       CASE WHEN thin THEN 'warn' ELSE 'pass' END, NULL, NULL
FROM judged
UNION ALL
SELECT customs_code, 'W2',
       CASE WHEN error_rate > param('w2_error_rate_limit') THEN 'warn' ELSE 'pass' END,
       CASE WHEN error_rate > param('w2_error_rate_limit') THEN 'warn' ELSE 'pass' END, NULL, NULL
FROM judged
UNION ALL
SELECT j.customs_code, 'W3',
       CASE WHEN j.recorded_level <> 'advanced' THEN 'n_a'
            WHEN j.review_date IS NULL OR j.review_date <= c.as_of + param('w3_warn_days')
            THEN 'warn' ELSE 'pass' END,
       CASE WHEN j.recorded_level <> 'advanced' THEN 'n_a'
            WHEN j.review_date IS NULL THEN 'warn_unknown'
            WHEN j.review_date <= c.as_of + param('w3_warn_days') THEN 'warn'
            ELSE 'pass' END,
       NULL, NULL
FROM judged j, ctx c
UNION ALL
SELECT customs_code, 'W4',
       CASE WHEN late_filings + unfiled_filings > 0 THEN 'warn' ELSE 'pass' END,
       CASE WHEN late_filings + unfiled_filings > 0 THEN 'warn' ELSE 'pass' END, NULL, NULL
FROM judged
UNION ALL
SELECT customs_code, 'W5',
       CASE WHEN getvariable('rulebook_provisional') THEN 'warn' ELSE 'pass' END,
       CASE WHEN getvariable('rulebook_provisional') THEN 'warn' ELSE 'pass' END, NULL, NULL
FROM judged
) o(customs_code, rule_id, status, variant, expiry_date, last_breach_date)
WHERE NOT implied_outcome(status, variant, expiry_date, last_breach_date);
