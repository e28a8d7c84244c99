-- The evaluation date T and the window bounds every model shares (one row).
CREATE OR REPLACE TEMP TABLE ctx AS
SELECT *,
       CAST(date_trunc('month', w1_after) AS DATE) AS w1_first_month,  -- W1's first, partial month
       CAST(date_trunc('month', as_of) AS DATE)    AS as_of_month      -- and its last
FROM (
    SELECT
        CAST(getvariable('as_of') AS DATE)                                   AS as_of,
        add_years(getvariable('as_of'), -1)                                  AS w1_after,  -- W1: d > w1_after
        add_years(getvariable('as_of'), -2)                                  AS w2_after,  -- W2: d > w2_after
        add_years(getvariable('as_of'), -param('breach_lookback_years')) + 1 AS lookback_start,
        year(getvariable('as_of')) - 1                                       AS py_year
);
