-- D3/D4 over the breach lookback: the counted-penalty state on every day it can change
-- (a decision, a penalty leaving W1, 1 January for docs), held until the next such day.
CREATE OR REPLACE TEMP TABLE penalty_days AS
WITH penalised AS (
    -- D3 and D4 both need F > the type's amount on some day, and F on any day of the lookback is
    -- at most the fines decided from a year before it to T: enterprises below that cannot hold
    SELECT p.customs_code, e.enterprise_type
    FROM counted_penalties p JOIN ent e USING (customs_code), ctx c
    WHERE p.decided_date >= add_years(c.lookback_start, -1) - 1 AND p.decided_date <= c.as_of
    GROUP BY ALL
    HAVING sum(p.fine) > CASE e.enterprise_type
                             WHEN 'importer_exporter' THEN param('d3_fine_amount')
                             WHEN 'customs_broker' THEN param('d4_fine_amount') END
),
change_days AS (
    SELECT pe.customs_code, c.lookback_start AS d FROM penalised pe, ctx c
    UNION
    SELECT p.customs_code, p.decided_date
    FROM counted_penalties p SEMI JOIN penalised USING (customs_code), ctx c
    WHERE p.decided_date BETWEEN c.lookback_start AND c.as_of
    UNION
    SELECT p.customs_code, p.exit_date
    FROM counted_penalties p SEMI JOIN penalised USING (customs_code), ctx c
    WHERE p.exit_date BETWEEN c.lookback_start AND c.as_of
    UNION
    SELECT pe.customs_code, make_date(CAST(y.y AS INTEGER), 1, 1)
    FROM penalised pe, ctx c, range(year(c.lookback_start) + 1, year(c.as_of) + 1) AS y(y)
),
spans AS (
    SELECT customs_code, d AS day_from,
           coalesce(lead(d) OVER (PARTITION BY customs_code ORDER BY d) - 1,
                    (SELECT as_of FROM ctx)) AS day_to
    FROM change_days
),
state AS (
    SELECT s.customs_code, s.day_from, s.day_to,
           count(p.case_id) AS n, coalesce(sum(p.fine), 0) AS f
    FROM spans s
    LEFT JOIN counted_penalties p
      ON p.customs_code = s.customs_code
     AND p.decided_date <= s.day_from
     AND p.exit_date > s.day_from
    GROUP BY ALL
)
SELECT st.customs_code, st.day_from, st.day_to, st.n, st.f, pe.enterprise_type,
       coalesce(dy.docs, 0) AS docs,
       dishonest_penalties_hold(pe.enterprise_type, st.n, st.f, coalesce(dy.docs, 0)) AS holds
FROM state st
JOIN penalised pe USING (customs_code)
LEFT JOIN documents_per_year dy
  ON dy.customs_code = st.customs_code AND dy.yr = year(st.day_from) - 1;
