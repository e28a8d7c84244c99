-- The evaluation date T and the window bounds every model shares (one row). The engine binds the
-- bounds as constants too (getvariable('w1_after'), ...: transforms/engine.py run_literals), for
-- models that filter a large table by them: a constant filters in the scan, a join with ctx after.
-- W1(T) = (w1_after, T], W2(T) = (w2_after, T] (credit-rules.md, Windows).
CREATE OR REPLACE TEMP TABLE ctx AS
SELECT
    getvariable('as_of')                                                 AS as_of,
    getvariable('w1_after')                                              AS w1_after,
    getvariable('w2_after')                                              AS w2_after,
    getvariable('lookback_start')                                        AS lookback_start,
    year(getvariable('as_of')) - 1                                       AS py_year,
    getvariable('w1_first_month')                                        AS w1_first_month,  -- W1's first, partial month
    getvariable('as_of_month')                                           AS as_of_month;     -- and its last
