-- After T, with no new penalties: the counted-penalty state on each day a penalty of W1(T)
-- leaves the window. Used for the D3/D4 projection and the A6 expiry (docs kept as at T).
CREATE OR REPLACE TEMP TABLE penalty_exits AS
WITH in_window AS (
    SELECT p.* FROM counted_penalties p, ctx c
    WHERE p.decided_date > c.w1_after AND p.decided_date <= c.as_of
),
exit_days AS (
    SELECT DISTINCT customs_code, exit_date AS d FROM in_window
)
SELECT x.customs_code, x.d,
       count(r.case_id)          AS n,
       coalesce(sum(r.fine), 0)  AS f,
       coalesce(max(r.fine), 0)  AS max_fine
FROM exit_days x
LEFT JOIN in_window r
  ON r.customs_code = x.customs_code AND r.exit_date > x.d
GROUP BY ALL;
