-- The measured quantities behind the rules, one row per enterprise at T: the measures (087) and
-- A1's facts, the dishonest breaches of the lookback.
CREATE OR REPLACE TEMP TABLE enterprise_indicators AS
WITH a1 AS (
    SELECT b.customs_code,
           count(*) AS breaches,
           max(b.effective_last) AS latest_breach_date,
           -- on a tie, the highest rule id: the same text on every run
           arg_max(b.rule_id, (b.effective_last, b.rule_id)) AS latest_breach_rule,
           bool_or(b.unpaid_blocker) AS breach_unpaid,
           max(expiry_after(b.effective_last,
                            param('repair_years') + param('upgrade_bar_years'))) AS upgrade_bar_ends
    FROM dishonest_breaches b
    GROUP BY ALL
)
SELECT m.*,
       coalesce(a1.breaches, 0) AS breaches,
       a1.latest_breach_date, a1.latest_breach_rule,
       coalesce(a1.breach_unpaid, false) AS breach_unpaid,
       a1.upgrade_bar_ends
FROM enterprise_measures m
LEFT JOIN a1 USING (customs_code);
