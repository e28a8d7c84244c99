-- The eligibility snapshot: one row per enterprise at T (the outcomes hold what is not a plain
-- pass; an enterprise with none passes every rule).
CREATE OR REPLACE TEMP TABLE eligibility_snapshot AS
WITH per_enterprise AS (
    SELECT customs_code,
           bool_or(rule_id = 'D8' AND status = 'fail') AS seriously,
           bool_or(rule_id LIKE 'D%' AND status = 'fail') AS dishonest_rule,
           coalesce(list(rule_id ORDER BY rule_id) FILTER (rule_id LIKE 'A%' AND status = 'fail'),
                    []) AS blockers,
           coalesce(list(rule_id ORDER BY rule_id) FILTER (rule_id LIKE 'W%' AND status = 'warn'),
                    []) AS warnings,
           count(*) FILTER (rule_id LIKE 'A%' AND status = 'fail' AND expiry_date IS NULL)
               AS blockers_without_expiry,
           max(expiry_date) FILTER (rule_id LIKE 'A%' AND status = 'fail') AS latest_expiry
    FROM (SELECT * FROM breach_outcomes UNION ALL SELECT * FROM measured_outcomes)
    GROUP BY customs_code
)
SELECT e.customs_code,
       c.as_of,
       getvariable('rulebook_id') AS rulebook,
       e.recorded_level,
       CASE WHEN p.seriously THEN 'seriously_dishonest'
            WHEN p.dishonest_rule THEN 'dishonest'
            WHEN e.recorded_level IN ('advanced', 'certified') THEN e.recorded_level
            ELSE 'regular' END AS assessed_level,
       coalesce(p.dishonest_rule, false) AS dishonest,
       coalesce(len(p.blockers), 0) = 0 AS advanced_ready,
       coalesce(p.blockers, []) AS blockers,
       coalesce(p.warnings, []) AS warnings,
       CASE WHEN coalesce(len(p.blockers), 0) = 0 THEN c.as_of
            WHEN p.blockers_without_expiry = 0 THEN p.latest_expiry END
           AS earliest_application_date,
       s.score,
       getvariable('rulebook_provisional') AS provisional,
       getvariable('run_id') AS run_id,
       coalesce(l.batch_ids, []) AS batch_ids
FROM ent e
CROSS JOIN ctx c
LEFT JOIN per_enterprise p USING (customs_code)
LEFT JOIN assessment_scores s USING (customs_code)
LEFT JOIN lineage l USING (customs_code);
