-- docs of a calendar year per enterprise (PY(d) of any day d is the year before d's).
CREATE OR REPLACE TEMP TABLE documents_per_year AS
SELECT customs_code, yr, sum(n) AS docs
FROM documents_by_owner
GROUP BY ALL;
