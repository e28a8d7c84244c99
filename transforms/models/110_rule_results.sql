-- Every rule's finding for every enterprise, with its legal basis and a one-line explanation in
-- English and Chinese (templates: transforms/explanations.toml, keyed by rule and variant; the
-- engine expands the '*' fallbacks to every rule).
CREATE OR REPLACE TEMP TABLE rule_results AS
WITH findings AS (
    SELECT * FROM findings_dishonest
    UNION ALL BY NAME
    SELECT * FROM findings_advanced
    UNION ALL BY NAME
    SELECT * FROM findings_warnings
),
rendered AS (
    SELECT f.*, t.en AS en_template, t.zh AS zh_template
    FROM findings f
    LEFT JOIN explanation_templates t ON t.rule_id = f.rule_id AND t.variant = f.variant
)
SELECT r.customs_code,
       CAST(getvariable('as_of') AS DATE) AS as_of,
       r.rule_id, r.status, r.value, r.threshold, r.expiry_date,
       rr.basis,
       fill_template(r.en_template, r.value, r.threshold, r.expiry_date, r.last_breach_date)
           AS explanation_en,
       fill_template(r.zh_template, r.value, r.threshold, r.expiry_date, r.last_breach_date)
           AS explanation_zh,
       r.last_breach_date,
       rr.provisional,
       getvariable('rulebook_id') AS rulebook,
       getvariable('run_id') AS run_id
FROM rendered r
JOIN rulebook_rules rr USING (rule_id);
