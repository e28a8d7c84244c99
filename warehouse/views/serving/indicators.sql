-- indicators: one row per enterprise and as_of: the measured quantities the rules compare with
-- their thresholds (penalty counts and fines, headroom, error rate, arrears, open cases, score).
SELECT
    e.name,
    i.*,
    i.penalty_ratio * 1000 AS penalty_per_mille
FROM enterprise_indicators AS i
LEFT JOIN enterprises AS e USING (customs_code)
