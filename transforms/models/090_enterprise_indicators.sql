-- The measured quantities behind the rules, one row per enterprise at T: the measures (087) and
-- A1's facts (065). A view: only the enterprise_indicators mart reads it, so its rows are
-- appended once, to the mart.
CREATE OR REPLACE TEMP VIEW enterprise_indicators AS
SELECT m.*,
       coalesce(a1.breaches, 0) AS breaches,
       a1.latest_breach_date, a1.latest_breach_rule,
       coalesce(a1.breach_unpaid, false) AS breach_unpaid,
       a1.upgrade_bar_ends
FROM enterprise_measures m
LEFT JOIN breach_summary a1 USING (customs_code);
