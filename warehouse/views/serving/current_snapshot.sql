-- current_snapshot: one row per enterprise at the latest evaluated as_of, with its name and type.
SELECT
    s.customs_code,
    e.name,
    e.enterprise_type,
    s.as_of,
    s.rulebook,
    s.recorded_level,
    s.assessed_level,
    s.dishonest,
    s.advanced_ready,
    s.blockers,
    s.warnings,
    len(s.blockers) AS blocker_count,
    len(s.warnings) AS warning_count,
    s.earliest_application_date,
    s.score,
    s.provisional,
    s.run_id
FROM eligibility_snapshot AS s
LEFT JOIN enterprises AS e USING (customs_code)
WHERE s.as_of = (SELECT max(as_of) FROM eligibility_snapshot)
