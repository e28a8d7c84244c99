-- W1-W5: warnings, never blockers.
CREATE OR REPLACE TEMP TABLE findings_warnings AS
WITH w3 AS (
    SELECT e.customs_code,
           add_years(coalesce(max(ev.event_date), any_value(e.level_since)),
                     param('w3_review_years')) AS review_date
    FROM ent e
    CROSS JOIN ctx c
    LEFT JOIN staging.certification_events ev
      ON ev.customs_code = e.customs_code
     AND ev.event_type IN ('certified', 'review_passed')
     AND ev.event_date <= c.as_of
    WHERE e.recorded_level = 'advanced'
    GROUP BY ALL
),
w4 AS (
    SELECT f.customs_code,
           count(*) FILTER (f.due_date > c.w1_after AND f.due_date <= c.as_of
                            AND f.filed_date > f.due_date AND f.filed_date <= c.as_of) AS late,
           count(*) FILTER (f.due_date < c.as_of
                            AND (f.filed_date IS NULL OR f.filed_date > c.as_of)) AS unfiled
    FROM staging.filings f, ctx c
    GROUP BY ALL
),
judged AS MATERIALIZED (
    SELECT i.*, e.recorded_level, w3.review_date, coalesce(w4.late, 0) AS late_filings,
           coalesce(w4.unfiled, 0) AS unfiled_filings,
           CASE WHEN i.docs_py > 0
                THEN i.counted_penalties >= param('w1_headroom_share') * i.ratio * i.docs_py
                     AND i.counted_fines_cny >= param('w1_headroom_share') * i.amount
                ELSE i.counted_fines_cny >= param('w1_headroom_share') * i.amount END AS thin
    FROM ent e JOIN enterprise_indicators i USING (customs_code)
    LEFT JOIN w3 USING (customs_code)
    LEFT JOIN w4 USING (customs_code)
)
SELECT customs_code, 'W1' AS rule_id,
       CASE WHEN thin THEN 'warn' ELSE 'pass' END AS status,
       format('n={}, F={} CNY, docs={}', counted_penalties, cny(counted_fines_cny), docs_py)
           AS value,
       format('n >= {} and F >= {} CNY', round(param('w1_headroom_share') * ratio * docs_py, 2),
              cny(param('w1_headroom_share') * amount)) AS threshold,
       CAST(NULL AS DATE) AS expiry_date, CAST(NULL AS DATE) AS last_breach_date,
       CASE WHEN thin THEN 'warn' ELSE 'pass' END AS variant
FROM judged
UNION ALL
SELECT customs_code, 'W2',
       CASE WHEN error_rate > param('w2_error_rate_limit') THEN 'warn' ELSE 'pass' END,
       CASE WHEN declarations_w1 > 0
            THEN format('{:.2f}% ({} of {})', 100 * error_rate, error_changes_w1,
                        declarations_w1)
            ELSE 'no declarations in the last year' END,
       format('<= {:.2f}%', 100 * param('w2_error_rate_limit')),
       NULL, NULL,
       CASE WHEN error_rate > param('w2_error_rate_limit') THEN 'warn' ELSE 'pass' END
FROM judged
UNION ALL
SELECT j.customs_code, 'W3',
       CASE WHEN j.recorded_level <> 'advanced' THEN 'n_a'
            WHEN j.review_date IS NULL OR j.review_date <= c.as_of + param('w3_warn_days')
            THEN 'warn' ELSE 'pass' END,
       coalesce('review due ' || CAST(j.review_date AS VARCHAR),
                CASE WHEN j.recorded_level = 'advanced' THEN 'no certification date on record'
                     ELSE 'not advanced' END),
       format('review date after T + {} days', param('w3_warn_days')),
       NULL, NULL,
       CASE WHEN j.recorded_level <> 'advanced' THEN 'n_a'
            WHEN j.review_date IS NULL THEN 'warn_unknown'
            WHEN j.review_date <= c.as_of + param('w3_warn_days') THEN 'warn'
            ELSE 'pass' END
FROM judged j, ctx c
UNION ALL
SELECT customs_code, 'W4',
       CASE WHEN late_filings + unfiled_filings > 0 THEN 'warn' ELSE 'pass' END,
       format('{} late in the last year, {} unfiled past due', late_filings, unfiled_filings),
       '0 late, 0 unfiled', NULL, NULL,
       CASE WHEN late_filings + unfiled_filings > 0 THEN 'warn' ELSE 'pass' END
FROM judged
UNION ALL
SELECT customs_code, 'W5',
       CASE WHEN getvariable('rulebook_provisional') THEN 'warn' ELSE 'pass' END,
       getvariable('rulebook_id'),
       'a verified rulebook', NULL, NULL,
       CASE WHEN getvariable('rulebook_provisional') THEN 'warn' ELSE 'pass' END
FROM judged;
