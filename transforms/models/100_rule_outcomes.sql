-- Every rule's outcome for every enterprise at T: status, the variant that picks its explanation,
-- the expiry date (a failing rule's day it stops failing if nothing new happens; NULL when only an
-- action ends it) and, for D rules, the (projected) last breach day L. Narrow on purpose: what was
-- measured lives in enterprise_indicators, and the view marts.rule_results renders value,
-- threshold, basis and explanations from both when read. Only what is not a plain pass is kept:
-- a plain pass with no date to tell is what the view (and the snapshot) assume for a missing row.
CREATE OR REPLACE TEMP TABLE rule_outcomes AS
SELECT *
FROM (
WITH d_rules AS (
    SELECT * FROM (VALUES ('D1'), ('D2'), ('D3'), ('D4'), ('D5'), ('D6'), ('D7'), ('D8')) r(rule_id)
),
-- D1-D8. fail = active (L in W2(T)); a repaired breach passes but still counts for A1; the
-- expiry of a failing D rule is its automatic repair date.
dishonest AS (
    SELECT e.customs_code, r.rule_id,
           (r.rule_id = 'D3' AND e.enterprise_type <> 'importer_exporter')
               OR (r.rule_id = 'D4' AND e.enterprise_type <> 'customs_broker') AS not_applicable,
           b.active, b.repair_date, b.effective_last, b.last_breach
    FROM ent e
    CROSS JOIN d_rules r
    LEFT JOIN dishonest_breaches b ON b.customs_code = e.customs_code AND b.rule_id = r.rule_id
),
a6_expiry AS (
    SELECT x.customs_code, min(x.d) AS clears_on
    FROM penalty_exits x JOIN enterprise_indicators i USING (customs_code)
    WHERE NOT certification_penalties_exceed(i.enterprise_type, x.n, x.f, x.max_fine, i.docs_py)
    GROUP BY ALL
),
-- what the A and W rules judge, one row per enterprise
judged AS MATERIALIZED (
    SELECT i.*, a6.clears_on AS a6_clears_on,
           i.recorded_level IN ('dishonest', 'seriously_dishonest') AS recorded_dishonest,
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
    FROM enterprise_indicators i
    LEFT JOIN a6_expiry a6 USING (customs_code)
)
SELECT customs_code, rule_id,
       CASE WHEN not_applicable THEN 'n_a' WHEN active THEN 'fail' ELSE 'pass' END AS status,
       CASE WHEN not_applicable THEN 'n_a'
            WHEN active AND repair_date IS NULL THEN 'fail_unpaid'
            WHEN active THEN 'fail'
            WHEN last_breach IS NOT NULL THEN 'repaired'
            ELSE 'pass' END AS variant,
       CASE WHEN active THEN repair_date END AS expiry_date,
       effective_last AS last_breach_date
FROM dishonest
UNION ALL
-- A1-A7, the advanced-certification blockers
SELECT customs_code, 'A1',
       CASE WHEN breaches > 0 OR recorded_dishonest THEN 'fail' ELSE 'pass' END,
       CASE WHEN recorded_dishonest THEN 'fail_recorded'
            WHEN breaches > 0 AND breach_unpaid THEN 'fail_unpaid'
            WHEN breaches > 0 THEN 'fail'
            ELSE 'pass' END,
       CASE WHEN recorded_dishonest OR breach_unpaid THEN NULL ELSE upgrade_bar_ends END,
       latest_breach_date
FROM judged
UNION ALL
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
)
WHERE NOT (status = 'pass' AND variant = 'pass' AND expiry_date IS NULL
           AND last_breach_date IS NULL);
