-- snapshot_changes: one row per enterprise and as_of that has a previous evaluation of the same
-- enterprise: what changed since that previous evaluated as_of (prev_as_of), which need not be
-- the day before. any_change says whether anything below changed.
WITH h AS (
    SELECT
        customs_code,
        as_of,
        assessed_level,
        recorded_level,
        advanced_ready,
        blockers,
        warnings,
        earliest_application_date,
        lag(as_of) OVER w AS prev_as_of,
        lag(assessed_level) OVER w AS prev_assessed_level,
        lag(advanced_ready) OVER w AS prev_advanced_ready,
        lag(blockers) OVER w AS prev_blockers,
        lag(warnings) OVER w AS prev_warnings,
        lag(earliest_application_date) OVER w AS prev_earliest_application_date
    FROM eligibility_snapshot
    WINDOW w AS (PARTITION BY customs_code ORDER BY as_of)
),
d AS (
    SELECT
        customs_code,
        as_of,
        prev_as_of,
        prev_assessed_level AS level_from,
        assessed_level AS level_to,
        prev_assessed_level IS DISTINCT FROM assessed_level AS level_changed,
        list_sort(list_filter(blockers, lambda b: NOT list_contains(prev_blockers, b)))
            AS blockers_appeared,
        list_sort(list_filter(prev_blockers, lambda b: NOT list_contains(blockers, b)))
            AS blockers_cleared,
        list_sort(list_filter(warnings, lambda w: NOT list_contains(prev_warnings, w)))
            AS warnings_appeared,
        list_sort(list_filter(prev_warnings, lambda w: NOT list_contains(warnings, w)))
            AS warnings_cleared,
        advanced_ready AND NOT prev_advanced_ready AS became_ready,
        prev_advanced_ready AND NOT advanced_ready AS stopped_being_ready,
        advanced_ready,
        prev_earliest_application_date AS earliest_application_date_from,
        earliest_application_date AS earliest_application_date_to
    FROM h
    WHERE prev_as_of IS NOT NULL
)
SELECT
    d.*,
    (
        level_changed
        OR len(blockers_appeared) > 0
        OR len(blockers_cleared) > 0
        OR len(warnings_appeared) > 0
        OR len(warnings_cleared) > 0
        OR became_ready
        OR stopped_being_ready
    ) AS any_change
FROM d
