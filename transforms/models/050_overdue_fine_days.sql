-- D6 over the breach lookback: fines and confiscations unpaid more than N months after due,
-- summed on every day the sum can change (one becomes overdue, one is paid).
CREATE OR REPLACE TEMP TABLE overdue_fine_days AS
WITH fines AS (
    SELECT l.customs_code, l.liability_id, l.amount_cny, l.paid_date,
           add_months(l.due_date, param('d6_overdue_months')) + 1 AS overdue_from
    FROM staging.liabilities l JOIN ent USING (customs_code)
    WHERE l.kind IN ('fine', 'confiscation')
),
owners AS (SELECT DISTINCT customs_code FROM fines),
change_days AS (
    SELECT o.customs_code, c.lookback_start AS d FROM owners o, ctx c
    UNION
    SELECT f.customs_code, f.overdue_from FROM fines f, ctx c
    WHERE f.overdue_from BETWEEN c.lookback_start AND c.as_of
    UNION
    SELECT f.customs_code, f.paid_date FROM fines f, ctx c
    WHERE f.paid_date BETWEEN c.lookback_start AND c.as_of
),
spans AS (
    SELECT customs_code, d AS day_from,
           coalesce(lead(d) OVER (PARTITION BY customs_code ORDER BY d) - 1,
                    (SELECT as_of FROM ctx)) AS day_to
    FROM change_days
)
SELECT s.customs_code, s.day_from, s.day_to,
       coalesce(sum(f.amount_cny), 0) AS overdue_cny,
       coalesce(sum(f.amount_cny) FILTER (f.paid_date IS NULL OR f.paid_date > c.as_of), 0)
           AS still_unpaid_cny,
       coalesce(sum(f.amount_cny), 0) > param('d6_amount') AS holds
FROM spans s
CROSS JOIN ctx c
LEFT JOIN fines f
  ON f.customs_code = s.customs_code
 AND f.overdue_from <= s.day_from
 AND (f.paid_date IS NULL OR f.paid_date > s.day_from)
GROUP BY s.customs_code, s.day_from, s.day_to;
