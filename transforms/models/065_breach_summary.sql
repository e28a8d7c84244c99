-- A1's facts per enterprise that breached a D rule in the lookback: how many rules, the latest
-- (projected) last breach day, whether an unpaid liability holds one, and when the upgrade bar
-- lifts. A view: read by breach_outcomes (A1) and by the enterprise_indicators mart, so A1 no
-- longer waits for the indicators (the graph's last models run one at a time).
CREATE OR REPLACE TEMP VIEW breach_summary AS
SELECT b.customs_code,
       count(*) AS breaches,
       max(b.effective_last) AS latest_breach_date,
       -- on a tie, the highest rule id: the same text on every run
       arg_max(b.rule_id, (b.effective_last, b.rule_id)) AS latest_breach_rule,
       bool_or(b.unpaid_blocker) AS breach_unpaid,
       max(expiry_after(b.effective_last,
                        param('repair_years') + param('upgrade_bar_years'))) AS upgrade_bar_ends
FROM dishonest_breaches b
GROUP BY ALL;
