-- Per enterprise at T, the facts the A and W rules judge beyond penalties, liabilities and
-- dishonest breaches: the cooldown event (A2), leverage (A5), the review date (W3) and filings
-- (W4). Stored with the indicators so rule_results can say what was measured. Independent of the
-- dishonest breaches on purpose: it runs beside them (A1's facts are taken in 090).
CREATE OR REPLACE TEMP TABLE enterprise_facts AS
WITH a2 AS (
    SELECT ev.customs_code, max(ev.event_date) AS cooldown_event_date,
           arg_max(ev.event_type, (ev.event_date, ev.event_type)) AS cooldown_event
    FROM staging.certification_events ev, ctx c
    WHERE ev.event_type IN ('certification_failed', 'review_failed', 'renounced',
                            'application_withdrawn', 'downgraded', 'upgraded_from_dishonest')
      AND ev.event_date > add_years(c.as_of, -param('cooldown_years'))
      AND ev.event_date <= c.as_of
    GROUP BY ALL
),
a5 AS (
    SELECT f.customs_code,
           count(*) AS financial_years,
           -- exact: the quotient is a DOUBLE, which rounds 0.95 + 1e-17 to 0.95 (assets > 0)
           bool_and(f.total_liabilities > param('a5_leverage_limit') * f.total_assets)
               AS leverage_all_high,
           -- sorted by fiscal_year, the struct's first field
           list_sort(list({'fiscal_year': f.fiscal_year,
                           'ratio': CAST(f.total_liabilities / f.total_assets AS DOUBLE)}))
               AS leverage_ratios
    FROM staging.financials f, ctx c
    WHERE f.fiscal_year BETWEEN year(c.as_of) - param('a5_years') AND year(c.as_of) - 1
    GROUP BY ALL
),
w3 AS (
    -- the review falls due when the certification leaves its 5 years: X + N years as
    -- credit-rules.md defines it (an expiry), so 29 Feb 2024 + 5 years is 1 Mar 2029
    SELECT e.customs_code,
           expiry_after(coalesce(max(ev.event_date), any_value(e.level_since)),
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
                            AND f.filed_date > f.due_date AND f.filed_date <= c.as_of)
               AS late_filings,
           count(*) FILTER (f.due_date < c.as_of
                            AND (f.filed_date IS NULL OR f.filed_date > c.as_of)) AS unfiled_filings
    FROM staging.filings f, ctx c
    GROUP BY ALL
)
SELECT e.customs_code,
       a2.cooldown_event, a2.cooldown_event_date,
       coalesce(a5.financial_years, 0) AS financial_years,
       a5.leverage_all_high, a5.leverage_ratios,
       w3.review_date,
       coalesce(w4.late_filings, 0) AS late_filings,
       coalesce(w4.unfiled_filings, 0) AS unfiled_filings
FROM ent e
LEFT JOIN a2 USING (customs_code)
LEFT JOIN a5 USING (customs_code)
LEFT JOIN w3 USING (customs_code)
LEFT JOIN w4 USING (customs_code);
