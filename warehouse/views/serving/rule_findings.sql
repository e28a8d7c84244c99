-- rule_findings: one row per enterprise, as_of and rule id (every D, A and W rule), with the
-- enterprise's name, the rule group and whether the finding is a blocker of advanced certification.
SELECT
    r.customs_code,
    e.name,
    r.as_of,
    r.rule_id,
    CASE left(r.rule_id, 1)
        WHEN 'D' THEN 'dishonest'
        WHEN 'A' THEN 'advanced_readiness'
        WHEN 'W' THEN 'warning'
    END AS rule_group,
    r.status,
    (r.status = 'fail' AND left(r.rule_id, 1) = 'A') AS is_blocker,
    r.value,
    r.threshold,
    r.expiry_date,
    r.last_breach_date,
    r.basis,
    r.explanation_en,
    r.explanation_zh,
    r.provisional,
    r.rulebook,
    r.run_id
FROM rule_results AS r
LEFT JOIN enterprises AS e USING (customs_code)
