-- The measured quantities behind the rules, one row per enterprise at T, all but A1's facts: none
-- of these waits for the dishonest breaches, so this runs beside them (090 adds A1's).
CREATE OR REPLACE TEMP TABLE enterprise_measures AS
WITH w1 AS (
    SELECT p.customs_code, count(*) AS n, sum(p.fine) AS f, max(p.fine) AS max_fine
    FROM counted_penalties p, ctx c
    WHERE p.decided_date > c.w1_after AND p.decided_date <= c.as_of
    GROUP BY ALL
),
liab AS (
    SELECT l.customs_code,
           sum(l.amount_cny) FILTER (l.kind IN ('duty', 'vat', 'consumption_tax')
               AND c.as_of > add_months(l.due_date, param('d5_overdue_months'))) AS overdue_tax,
           sum(l.amount_cny) FILTER (l.kind IN ('fine', 'confiscation')
               AND c.as_of > add_months(l.due_date, param('d6_overdue_months'))) AS overdue_fines,
           sum(l.amount_cny) FILTER (c.as_of > l.due_date) AS arrears,
           count(*) FILTER (c.as_of > l.due_date) AS arrears_count
    FROM staging.liabilities l, ctx c
    WHERE l.paid_date IS NULL OR l.paid_date > c.as_of
    GROUP BY ALL
),
open_cases AS (
    SELECT cs.customs_code, count(*) AS n, list(cs.case_id ORDER BY cs.opened_date) AS ids
    FROM staging.cases cs, ctx c
    WHERE cs.opened_date <= c.as_of
      AND cs.status <> 'revoked'
      AND NOT coalesce(cs.decided_date <= c.as_of, false)
      AND NOT coalesce(cs.closed_date <= c.as_of, false)
    GROUP BY ALL
),
base AS (
    SELECT e.customs_code, e.enterprise_type, e.recorded_level,
           coalesce(dy.docs, 0) AS docs_py,
           coalesce(w1.n, 0) AS n,
           CAST(coalesce(w1.f, 0) AS DECIMAL(18,2)) AS f,
           w1.max_fine,
           CASE e.enterprise_type WHEN 'customs_broker' THEN param('d4_doc_ratio')
                                  ELSE param('d3_doc_ratio') END AS ratio,
           CASE e.enterprise_type WHEN 'customs_broker' THEN param('d4_fine_amount')
                                  ELSE param('d3_fine_amount') END AS amount
    FROM ent e
    CROSS JOIN ctx c
    LEFT JOIN documents_per_year dy ON dy.customs_code = e.customs_code AND dy.yr = c.py_year
    LEFT JOIN w1 ON w1.customs_code = e.customs_code
)
SELECT b.customs_code, c.as_of, b.enterprise_type, b.recorded_level, b.docs_py,
       b.n AS counted_penalties, b.f AS counted_fines_cny,
       CAST(b.max_fine AS DECIMAL(18,2)) AS max_single_fine_cny,
       CAST(b.ratio * b.docs_py AS DOUBLE) AS dishonest_count_limit,
       CAST(b.amount AS DECIMAL(18,2)) AS dishonest_amount_limit,
       CASE WHEN b.docs_py > 0 THEN b.n / b.docs_py END AS penalty_ratio,
       CAST(b.ratio * b.docs_py - b.n AS DOUBLE) AS count_headroom,
       CAST(b.amount - b.f AS DECIMAL(18,2)) AS amount_headroom_cny,
       coalesce(w.declared, 0) AS declarations_w1,
       coalesce(w.errors, 0) AS error_changes_w1,
       CASE WHEN w.declared > 0 THEN w.errors / w.declared END AS error_rate,
       CAST(coalesce(li.overdue_tax, 0) AS DECIMAL(18,2)) AS overdue_tax_cny,
       CAST(coalesce(li.overdue_fines, 0) AS DECIMAL(18,2)) AS overdue_fines_cny,
       CAST(coalesce(li.arrears, 0) AS DECIMAL(18,2)) AS arrears_cny,
       coalesce(li.arrears_count, 0) AS arrears_count,
       coalesce(oc.n, 0) AS open_cases,
       oc.ids AS open_case_ids,
       s.score, s.basically_meets AS score_basically_meets, s.fails AS score_fails,
       s.bonus AS score_bonus, s.pending AS pending_items,
       s.ic_ts_basically_meets, s.latest_assessment_date, s.items_to_fix,
       ef.* EXCLUDE (customs_code),
       b.ratio, b.amount
FROM base b
CROSS JOIN ctx c
LEFT JOIN w1_counts w USING (customs_code)
LEFT JOIN liab li USING (customs_code)
LEFT JOIN open_cases oc USING (customs_code)
LEFT JOIN assessment_scores s USING (customs_code)
LEFT JOIN enterprise_facts ef USING (customs_code);
