-- A count limit (ratio x docs) as the explanations print it: exact, never rounded, so that a
-- limit of 2.999 does not read as 3.0 beside n = 3 that exceeds it; whole numbers without ".0".
CREATE OR REPLACE MACRO marts.count_text(x) AS
    CASE WHEN x = trunc(x) THEN format('{}', CAST(x AS HUGEINT)) ELSE format('{}', x) END;
