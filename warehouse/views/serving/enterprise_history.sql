-- enterprise_history: one row per enterprise and evaluated as_of: level, readiness, blockers and the
-- key indicators behind them, for trend charts.
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
    i.docs_py,
    i.counted_penalties,
    i.counted_fines_cny,
    i.dishonest_count_limit,
    i.dishonest_amount_limit,
    i.count_headroom,
    i.amount_headroom_cny,
    i.declarations_w1,
    i.error_changes_w1,
    i.error_rate,
    i.arrears_cny,
    i.open_cases,
    i.pending_items
FROM eligibility_snapshot AS s
LEFT JOIN enterprise_indicators AS i USING (customs_code, as_of)
LEFT JOIN enterprises AS e USING (customs_code)
