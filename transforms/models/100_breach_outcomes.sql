-- Every rule's outcome for every enterprise at T: status, the variant that picks its explanation,
-- the expiry date (a failing rule's day it stops failing if nothing new happens; NULL when only an
-- action ends it) and, for D rules, the (projected) last breach day L. Narrow on purpose: what was
-- measured lives in enterprise_indicators, and the view marts.rule_results renders value,
-- threshold, basis and explanations from both when read. Only what the view cannot infer is kept:
-- a plain pass, or not applicable, with no date to tell (macro implied_outcome).
-- This model decides D1-D8 and A1, which wait for the dishonest breaches (A1 through their
-- summary, 065); measured_outcomes (095) decides A2-A7 and W1-W5 beside them.
-- marts.rule_outcomes is written from both.
CREATE OR REPLACE TEMP TABLE breach_outcomes AS
SELECT *
FROM (
WITH d_rules AS (
    SELECT * FROM (VALUES ('D1'), ('D2'), ('D3'), ('D4'), ('D5'), ('D6'), ('D7'), ('D8')) r(rule_id)
),
-- D1-D8. fail = active (L in W2(T)); a repaired breach passes but still counts for A1; the
-- expiry of a failing D rule is its automatic repair date.
dishonest AS (
    SELECT e.customs_code, r.rule_id,
           (r.rule_id = 'D3' AND e.enterprise_type <> 'importer_exporter')
               OR (r.rule_id = 'D4' AND e.enterprise_type <> 'customs_broker') AS not_applicable,
           b.active, b.repair_date, b.effective_last, b.last_breach
    FROM ent e
    CROSS JOIN d_rules r
    LEFT JOIN dishonest_breaches b ON b.customs_code = e.customs_code AND b.rule_id = r.rule_id
)
SELECT customs_code, rule_id,
       CASE WHEN not_applicable THEN 'n_a' WHEN active THEN 'fail' ELSE 'pass' END AS status,
       CASE WHEN not_applicable THEN 'n_a'
            WHEN active AND repair_date IS NULL THEN 'fail_unpaid'
            -- D3/D4 active, but no longer holding at T (their L is before T: docs grew, or
            -- penalties left W1): the texts must not say the counts exceed the limit now
            WHEN active AND rule_id IN ('D3', 'D4') AND effective_last < getvariable('as_of')
            THEN 'fail_ended'
            WHEN active THEN 'fail'
            WHEN last_breach IS NOT NULL THEN 'repaired'
            ELSE 'pass' END AS variant,
       CASE WHEN active THEN repair_date END AS expiry_date,
       effective_last AS last_breach_date
FROM dishonest
UNION ALL
-- A1, the first advanced-certification blocker (a1: none when no D rule breached)
SELECT e.customs_code, 'A1',
       CASE WHEN a1.breaches > 0 OR recorded_dishonest(e.recorded_level) THEN 'fail' ELSE 'pass' END,
       CASE WHEN recorded_dishonest(e.recorded_level) THEN 'fail_recorded'
            WHEN a1.breaches > 0 AND a1.breach_unpaid THEN 'fail_unpaid'
            WHEN a1.breaches > 0 THEN 'fail'
            ELSE 'pass' END,
       CASE WHEN recorded_dishonest(e.recorded_level) OR a1.breach_unpaid THEN NULL
            ELSE a1.upgrade_bar_ends END,
       a1.latest_breach_date
FROM ent e
LEFT JOIN breach_summary a1 USING (customs_code)
)
WHERE NOT implied_outcome(status, variant, expiry_date, last_breach_date);
