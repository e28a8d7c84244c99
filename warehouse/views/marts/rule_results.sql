-- marts.rule_results: every rule's finding per enterprise and as_of, readable. Rendered when read
-- from the engine's narrow rule_outcomes (a plain pass or not applicable is not stored), what
-- enterprise_indicators measured, and the rulebook the evaluation used (basis, parameters);
-- explanations fill explanation_templates, whose {p:NAME} are that rulebook's parameters. Storing
-- the text instead cost more than the whole rule evaluation at 5,000 enterprises (100k rows, ~19 MB).
-- Rows archived from engines that stored them rendered follow.
CREATE OR REPLACE VIEW marts.rule_results AS
WITH params AS (
    SELECT rulebook_sha256,
           map_from_entries(list({'k': name, 'v': value})) AS p,
           -- as the texts print them: whole numbers as such, others as trimmed decimals
           map_from_entries(list({'k': name,
                                  'v': CASE WHEN regexp_full_match(value, '-?[0-9]+') THEN value
                                            ELSE coalesce(format('{}', TRY_CAST(value AS DECIMAL(24,8))),
                                                          value)  -- a date stays as it is
                                       END})) AS shown
    FROM marts.rulebook_parameters
    GROUP BY ALL
),
-- the parameters the texts quote, typed as the engine binds them
pp AS (
    SELECT rulebook_sha256, shown,
           CAST(p['d3_doc_ratio'] AS DECIMAL(24,8))           AS d3_doc_ratio,
           CAST(p['d3_fine_amount'] AS DECIMAL(24,8))         AS d3_fine_amount,
           CAST(p['d4_doc_ratio'] AS DECIMAL(24,8))           AS d4_doc_ratio,
           CAST(p['d4_fine_amount'] AS DECIMAL(24,8))         AS d4_fine_amount,
           CAST(p['d6_amount'] AS DECIMAL(24,8))              AS d6_amount,
           CAST(p['d8_solid_waste_fine'] AS DECIMAL(24,8))    AS d8_solid_waste_fine,
           CAST(p['a6_broker_doc_ratio'] AS DECIMAL(24,8))    AS a6_broker_doc_ratio,
           CAST(p['a6_broker_fine_total'] AS DECIMAL(24,8))   AS a6_broker_fine_total,
           CAST(p['a6_broker_single_fine'] AS DECIMAL(24,8))  AS a6_broker_single_fine,
           CAST(p['a6_ie_fine_total'] AS DECIMAL(24,8))       AS a6_ie_fine_total,
           CAST(p['a6_ie_count'] AS DECIMAL(24,8))            AS a6_ie_count,
           CAST(p['a6_ie_doc_ratio'] AS DECIMAL(24,8))        AS a6_ie_doc_ratio,
           CAST(p['a6_ie_single_fine'] AS DECIMAL(24,8))      AS a6_ie_single_fine,
           CAST(p['w1_headroom_share'] AS DECIMAL(24,8))      AS w1_headroom_share,
           CAST(p['w2_error_rate_limit'] AS DECIMAL(24,8))    AS w2_error_rate_limit
    FROM params
),
-- the templates with the rulebook's own parameters in ({p:NAME}), once per rulebook, not per row
texts AS (
    SELECT pp.rulebook_sha256, t.rule_id, t.variant,
           marts.fill_params(t.en, pp.shown) AS en, marts.fill_params(t.zh, pp.shown) AS zh
    FROM pp, marts.explanation_templates t
),
measured AS (
    SELECT s.customs_code, s.as_of, rr.rule_id,
           -- no stored outcome: not applicable as the engine decides it (implied_outcome in
           -- transforms/models/000_macros.sql), else a plain pass
           (rr.rule_id = 'D3' AND i.enterprise_type <> 'importer_exporter')
               OR (rr.rule_id = 'D4' AND i.enterprise_type <> 'customs_broker')
               OR (rr.rule_id = 'W3' AND i.recorded_level <> 'advanced') AS not_applicable,
           coalesce(o.status, CASE WHEN not_applicable THEN 'n_a' ELSE 'pass' END) AS status,
           coalesce(o.variant, CASE WHEN not_applicable THEN 'n_a'
                                    WHEN rr.rule_id = 'W2' AND i.declarations_w1 = 0
                                    THEN 'pass_none'  -- no rate to quote
                                    ELSE 'pass' END) AS variant,
           o.expiry_date, o.last_breach_date, ev.rulebook, ev.rulebook_sha256, ev.run_id, rr.basis,
           rr.provisional,
           CASE
               WHEN rr.rule_id IN ('D3', 'D4', 'W1') THEN
                   format('n={}, F={} CNY, docs={}', i.counted_penalties,
                          marts.cny_text(i.counted_fines_cny), i.docs_py)
               WHEN rr.rule_id = 'D5' THEN
                   format('{} CNY overdue', marts.cny_text(i.overdue_tax_cny))
               WHEN rr.rule_id = 'D6' THEN
                   format('{} CNY overdue', marts.cny_text(i.overdue_fines_cny))
               WHEN rr.rule_id LIKE 'D%' THEN
                   coalesce('last event ' || CAST(o.last_breach_date AS VARCHAR), 'no event')
               WHEN rr.rule_id = 'A1' THEN
                   CASE WHEN i.breaches > 0 AND i.latest_breach_date > o.as_of
                        THEN format('{} projected last breach {}', i.latest_breach_rule,
                                    i.latest_breach_date)
                        WHEN i.breaches > 0
                        THEN format('{} last breach {}', i.latest_breach_rule, i.latest_breach_date)
                        WHEN o.variant = 'fail_recorded' THEN 'recorded level dishonest'
                        ELSE format('no breach within {} years',
                                    pp.shown['breach_lookback_years']) END
               WHEN rr.rule_id = 'A2' THEN
                   coalesce(format('{} on {}', i.cooldown_event, i.cooldown_event_date),
                            'no such event')
               WHEN rr.rule_id = 'A3' THEN
                   CASE WHEN i.open_cases > 0
                        THEN format('{} open: {}', i.open_cases,
                                    array_to_string(list_slice(i.open_case_ids, 1, 5), ', '))
                        ELSE '0 open' END
               WHEN rr.rule_id = 'A4' THEN
                   format('{} CNY past due in {} item(s)',
                          marts.cny_text(i.arrears_cny), i.arrears_count)
               WHEN rr.rule_id = 'A5' THEN
                   coalesce(array_to_string(list_transform(i.leverage_ratios,
                                lambda r: format('FY{} {:.3f}', r.fiscal_year, r.ratio)), ', '),
                            'no financials on record')
               WHEN rr.rule_id = 'A6' THEN
                   format('n={}, F={} CNY, largest fine {} CNY, docs={}', i.counted_penalties,
                          marts.cny_text(i.counted_fines_cny),
                          marts.cny_text(coalesce(i.max_single_fine_cny, 0)),
                          i.docs_py)
               WHEN rr.rule_id = 'A7' THEN
                   CASE WHEN i.score IS NULL THEN 'no self-assessment on record'
                        ELSE format('score {}, fails {}, pending {}, basically meets in IC+TS {}',
                                    i.score, i.score_fails, i.pending_items,
                                    i.ic_ts_basically_meets) END
               WHEN rr.rule_id = 'W2' THEN
                   CASE WHEN i.declarations_w1 > 0
                        THEN format('{:.2f}% ({} of {})', 100 * i.error_rate, i.error_changes_w1,
                                    i.declarations_w1)
                        ELSE 'no declarations in the last year' END
               WHEN rr.rule_id = 'W3' THEN
                   coalesce('review due ' || CAST(i.review_date AS VARCHAR),
                            CASE WHEN i.recorded_level = 'advanced'
                                 THEN 'no certification date on record'
                                 ELSE 'not advanced' END)
               WHEN rr.rule_id = 'W4' THEN
                   format('{} late in the last year, {} unfiled past due', i.late_filings,
                          i.unfiled_filings)
               WHEN rr.rule_id = 'W5' THEN ev.rulebook
           END AS value,
           CASE rr.rule_id
               -- with no previous-year documents the amount alone decides (credit-rules.md D3/D4)
               WHEN 'D3' THEN marts.count_and_amount_text('>', i.docs_py,
                                                          pp.d3_doc_ratio * i.docs_py,
                                                          pp.d3_fine_amount)
               WHEN 'D4' THEN marts.count_and_amount_text('>', i.docs_py,
                                                          pp.d4_doc_ratio * i.docs_py,
                                                          pp.d4_fine_amount)
               WHEN 'D5' THEN format('unpaid > {} months after due', pp.shown['d5_overdue_months'])
               WHEN 'D6' THEN format('> {} CNY unpaid > {} months after due',
                                     marts.cny_text(pp.d6_amount),
                                     pp.shown['d6_overdue_months'])
               WHEN 'D8' THEN format('event; solid-waste fine > {} CNY',
                                     marts.cny_text(pp.d8_solid_waste_fine))
               WHEN 'A1' THEN format('no dishonest criterion breached within {} years',
                                     pp.shown['breach_lookback_years'])
               WHEN 'A2' THEN format('none within {} year(s)', pp.shown['cooldown_years'])
               WHEN 'A3' THEN '0 open cases'
               WHEN 'A4' THEN '0 CNY past due'
               WHEN 'A5' THEN format('debt/assets > {} in each of {} years', pp.shown['a5_leverage_limit'],
                                     pp.shown['a5_years'])
               WHEN 'A6' THEN
                   CASE WHEN i.enterprise_type = 'customs_broker'
                        THEN format('n <= {}, F <= {} CNY, each fine <= {} CNY',
                                    marts.count_text(pp.a6_broker_doc_ratio * i.docs_py),
                                    marts.cny_text(pp.a6_broker_fine_total),
                                    marts.cny_text(pp.a6_broker_single_fine))
                        -- "n > count and n > ratio x docs" fails, so n may reach the larger
                        ELSE format('F <= {} CNY, n <= {}, each fine <= {} CNY',
                                    marts.cny_text(pp.a6_ie_fine_total),
                                    marts.count_text(greatest(pp.a6_ie_count,
                                                              pp.a6_ie_doc_ratio * i.docs_py)),
                                    marts.cny_text(pp.a6_ie_single_fine)) END
               WHEN 'A7' THEN format('score >= {}, no fails, no pending, IC+TS basically meets <= {}',
                                     pp.shown['a7_min_score'], pp.shown['a7_max_basically_meets'])
               WHEN 'W1' THEN
                   marts.count_and_amount_text('>=', i.docs_py,
                          pp.w1_headroom_share * i.docs_py
                                * CASE i.enterprise_type WHEN 'customs_broker' THEN pp.d4_doc_ratio
                                                         ELSE pp.d3_doc_ratio END,
                          pp.w1_headroom_share
                                * CASE i.enterprise_type WHEN 'customs_broker' THEN pp.d4_fine_amount
                                                         ELSE pp.d3_fine_amount END)
               WHEN 'W2' THEN format('<= {:.2f}%', 100 * pp.w2_error_rate_limit)
               WHEN 'W3' THEN format('review date after T + {} days', pp.shown['w3_warn_days'])
               WHEN 'W4' THEN '0 late, 0 unfiled'
               WHEN 'W5' THEN 'a verified rulebook'
               ELSE 'event within 2 years'
           END AS threshold
    -- every enterprise of the snapshot x every rule of its rulebook; no stored outcome = pass
    FROM marts.eligibility_snapshot s
    JOIN marts.evaluations ev USING (as_of)
    JOIN marts.rulebook_rules rr ON rr.rulebook_sha256 = ev.rulebook_sha256
    JOIN pp ON pp.rulebook_sha256 = ev.rulebook_sha256
    LEFT JOIN marts.rule_outcomes o
      ON o.customs_code = s.customs_code AND o.as_of = s.as_of AND o.rule_id = rr.rule_id
    LEFT JOIN marts.enterprise_indicators i
      ON i.customs_code = s.customs_code AND i.as_of = s.as_of
)
SELECT m.customs_code, m.as_of, m.rule_id, m.status, m.value, m.threshold, m.expiry_date,
       m.basis,
       replace(replace(replace(replace(t.en,
           '{value}', coalesce(m.value, '')),
           '{threshold}', coalesce(m.threshold, '')),
           '{expiry}', coalesce(CAST(m.expiry_date AS VARCHAR), '-')),
           '{last_breach}', coalesce(CAST(m.last_breach_date AS VARCHAR), '-')) AS explanation_en,
       replace(replace(replace(replace(t.zh,
           '{value}', coalesce(m.value, '')),
           '{threshold}', coalesce(m.threshold, '')),
           '{expiry}', coalesce(CAST(m.expiry_date AS VARCHAR), '-')),
           '{last_breach}', coalesce(CAST(m.last_breach_date AS VARCHAR), '-')) AS explanation_zh,
       m.last_breach_date, m.provisional, m.rulebook, m.run_id
FROM measured m
LEFT JOIN texts t
  ON t.rulebook_sha256 = m.rulebook_sha256 AND t.rule_id = m.rule_id AND t.variant = m.variant
UNION ALL
SELECT * FROM marts.rule_results_archive;
