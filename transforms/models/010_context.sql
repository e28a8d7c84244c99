-- The evaluation date T and the window bounds every model shares (one row); the window macros
-- of 000_macros give the same values as constants.
CREATE OR REPLACE TEMP TABLE ctx AS
SELECT
    as_of_date()                                                         AS as_of,
    w1_after()                                                           AS w1_after,
    w2_after()                                                           AS w2_after,
    add_years(getvariable('as_of'), -param('breach_lookback_years')) + 1 AS lookback_start,
    year(getvariable('as_of')) - 1                                       AS py_year,
    w1_first_month()                                                     AS w1_first_month,  -- W1's first, partial month
    as_of_month()                                                        AS as_of_month;     -- and its last
