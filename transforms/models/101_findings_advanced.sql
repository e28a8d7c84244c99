-- A1-A7, the advanced-certification blockers, for every enterprise. A failing rule's expiry_date
-- is the day it stops failing if nothing new happens; NULL when only an action ends it.
CREATE OR REPLACE TEMP TABLE findings_advanced AS
WITH a1 AS (
    SELECT e.customs_code,
           e.recorded_level IN ('dishonest', 'seriously_dishonest') AS recorded_dishonest,
           count(b.rule_id) AS breaches,
           max(b.effective_last) AS latest_breach,
           arg_max(b.rule_id, b.effective_last) AS latest_rule,
           coalesce(bool_or(b.unpaid_blocker), false) AS unpaid_blocker,
           max(expiry_after(b.effective_last,
                            param('repair_years') + param('upgrade_bar_years'))) AS bar_ends
    FROM ent e LEFT JOIN dishonest_breaches b USING (customs_code)
    GROUP BY ALL
),
a2 AS (
    SELECT ev.customs_code, max(ev.event_date) AS latest,
           arg_max(ev.event_type, ev.event_date) AS latest_type
    FROM staging.certification_events ev, ctx c
    WHERE ev.event_type IN ('certification_failed', 'review_failed', 'renounced',
                            'application_withdrawn', 'downgraded', 'upgraded_from_dishonest')
      AND ev.event_date > add_years(c.as_of, -param('cooldown_years'))
      AND ev.event_date <= c.as_of
    GROUP BY ALL
),
a5 AS (
    SELECT f.customs_code,
           count(*) AS years_on_record,
           bool_and(f.total_liabilities / f.total_assets > param('a5_leverage_limit')) AS all_high,
           string_agg(format('FY{} {:.3f}', f.fiscal_year,
                             CAST(f.total_liabilities / f.total_assets AS DOUBLE)), ', '
                      ORDER BY f.fiscal_year) AS ratios
    FROM staging.financials f, ctx c
    WHERE f.fiscal_year BETWEEN year(c.as_of) - param('a5_years') AND year(c.as_of) - 1
    GROUP BY ALL
),
a6_expiry AS (
    SELECT x.customs_code, min(x.d) AS clears_on
    FROM penalty_exits x JOIN enterprise_indicators i USING (customs_code)
    WHERE NOT certification_penalties_exceed(i.enterprise_type, x.n, x.f, x.max_fine, i.docs_py)
    GROUP BY ALL
),
judged AS MATERIALIZED (
    SELECT e.customs_code, i.*,
           a1.recorded_dishonest, a1.breaches, a1.latest_breach, a1.latest_rule,
           a1.unpaid_blocker, a1.bar_ends,
           a2.latest AS cooldown_event_date, a2.latest_type AS cooldown_event,
           a5.years_on_record, a5.all_high, a5.ratios,
           a6.clears_on AS a6_clears_on,
           certification_penalties_exceed(i.enterprise_type, i.counted_penalties,
               i.counted_fines_cny, coalesce(i.max_single_fine_cny, 0), i.docs_py) AS a6_fails,
           (i.score IS NULL OR i.pending_items > 0 OR i.score_fails > 0
               OR i.ic_ts_basically_meets > param('a7_max_basically_meets')
               OR i.score < param('a7_min_score')) AS a7_fails
    FROM ent e
    JOIN enterprise_indicators i USING (customs_code)
    JOIN a1 USING (customs_code)
    LEFT JOIN a2 USING (customs_code)
    LEFT JOIN a5 USING (customs_code)
    LEFT JOIN a6_expiry a6 USING (customs_code)
)
SELECT customs_code, 'A1' AS rule_id,
       CASE WHEN breaches > 0 OR recorded_dishonest THEN 'fail' ELSE 'pass' END AS status,
       CASE WHEN breaches > 0 AND latest_breach > as_of
            THEN format('{} projected last breach {}', latest_rule, latest_breach)
            WHEN breaches > 0 THEN format('{} last breach {}', latest_rule, latest_breach)
            WHEN recorded_dishonest THEN 'recorded level dishonest'
            ELSE 'no breach within 3 years' END AS value,
       'no dishonest criterion breached within 3 years' AS threshold,
       CASE WHEN recorded_dishonest OR unpaid_blocker THEN NULL ELSE bar_ends END AS expiry_date,
       latest_breach AS last_breach_date,
       CASE WHEN recorded_dishonest THEN 'fail_recorded'
            WHEN breaches > 0 AND unpaid_blocker THEN 'fail_unpaid'
            WHEN breaches > 0 THEN 'fail'
            ELSE 'pass' END AS variant
FROM judged
UNION ALL
SELECT customs_code, 'A2',
       CASE WHEN cooldown_event_date IS NOT NULL THEN 'fail' ELSE 'pass' END,
       coalesce(format('{} on {}', cooldown_event, cooldown_event_date), 'no such event'),
       format('none within {} year(s)', param('cooldown_years')),
       expiry_after(cooldown_event_date, param('cooldown_years')),
       NULL,
       CASE WHEN cooldown_event_date IS NOT NULL THEN 'fail' ELSE 'pass' END
FROM judged
UNION ALL
SELECT customs_code, 'A3',
       CASE WHEN open_cases > 0 THEN 'fail' ELSE 'pass' END,
       CASE WHEN open_cases > 0 THEN format('{} open: {}', open_cases,
                array_to_string(list_slice(open_case_ids, 1, 5), ', '))
            ELSE '0 open' END,
       '0 open cases', NULL, NULL,
       CASE WHEN open_cases > 0 THEN 'fail' ELSE 'pass' END
FROM judged
UNION ALL
SELECT customs_code, 'A4',
       CASE WHEN arrears_count > 0 THEN 'fail' ELSE 'pass' END,
       format('{} CNY past due in {} item(s)', cny(arrears_cny), arrears_count),
       '0 CNY past due', NULL, NULL,
       CASE WHEN arrears_count > 0 THEN 'fail' ELSE 'pass' END
FROM judged
UNION ALL
SELECT customs_code, 'A5',
       CASE WHEN years_on_record = param('a5_years') AND all_high THEN 'fail' ELSE 'pass' END,
       coalesce(ratios, 'no financials on record'),
       format('debt/assets > {} in each of {} years', param('a5_leverage_limit'),
              param('a5_years')),
       NULL, NULL,
       CASE WHEN years_on_record = param('a5_years') AND all_high THEN 'fail' ELSE 'pass' END
FROM judged
UNION ALL
SELECT customs_code, 'A6',
       CASE WHEN a6_fails THEN 'fail' ELSE 'pass' END,
       format('n={}, F={} CNY, largest fine {} CNY, docs={}', counted_penalties,
              cny(counted_fines_cny), cny(coalesce(max_single_fine_cny, 0)), docs_py),
       CASE WHEN enterprise_type = 'customs_broker'
            THEN format('n <= {}, F <= {} CNY, each fine <= {} CNY',
                        round(param('a6_broker_doc_ratio') * docs_py, 2),
                        cny(param('a6_broker_fine_total')), cny(param('a6_broker_single_fine')))
            ELSE format('F <= {} CNY, not (n > {} and n > {}), each fine <= {} CNY',
                        cny(param('a6_ie_fine_total')), param('a6_ie_count'),
                        round(param('a6_ie_doc_ratio') * docs_py, 2),
                        cny(param('a6_ie_single_fine'))) END,
       CASE WHEN a6_fails THEN a6_clears_on END,
       NULL,
       CASE WHEN a6_fails THEN 'fail' ELSE 'pass' END
FROM judged
UNION ALL
SELECT customs_code, 'A7',
       CASE WHEN a7_fails THEN 'fail' ELSE 'pass' END,
       CASE WHEN score IS NULL THEN 'no self-assessment on record'
            ELSE format('score {}, fails {}, pending {}, basically meets in IC+TS {}',
                        score, score_fails, pending_items, ic_ts_basically_meets) END,
       format('score >= {}, no fails, no pending, IC+TS basically meets <= {}',
              param('a7_min_score'), param('a7_max_basically_meets')),
       NULL, NULL,
       CASE WHEN score IS NULL THEN 'fail_missing' WHEN a7_fails THEN 'fail' ELSE 'pass' END
FROM judged;
