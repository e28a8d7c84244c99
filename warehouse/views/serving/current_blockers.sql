-- current_blockers: one row per enterprise and failing A rule (a blocker of advanced
-- certification) at the latest evaluated as_of, with its expiry date and explanation.
SELECT
    r.customs_code,
    c.name,
    r.as_of,
    c.assessed_level,
    r.rule_id,
    r.expiry_date,
    r.value,
    r.threshold,
    r.basis,
    r.explanation_en,
    r.explanation_zh
FROM rule_results AS r
JOIN current_snapshot AS c USING (customs_code, as_of)
WHERE r.status = 'fail' AND left(r.rule_id, 1) = 'A'
