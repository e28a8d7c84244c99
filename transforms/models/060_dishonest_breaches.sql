-- Every D rule's last breach day L within the lookback (T - 3 years < L <= T), one row per
-- enterprise and rule that breached at all. effective_last is the projected L for D3/D4 still
-- holding at T; unpaid_blocker marks a D5/D6 liability that made the rule hold and is unpaid at T.
CREATE OR REPLACE TEMP TABLE dishonest_breaches AS
WITH live_cases AS (
    SELECT c.* FROM staging.cases c JOIN ent USING (customs_code) WHERE c.status <> 'revoked'
),
events AS (
    SELECT customs_code, 'D1' AS rule_id, judgment_effective_date AS d FROM live_cases
    WHERE case_type = 'smuggling_crime'
    UNION ALL
    SELECT customs_code, 'D2', decided_date FROM live_cases
    WHERE case_type = 'smuggling_act' AND coalesce(penalty_kind, 'none') <> 'none'
    UNION ALL
    SELECT customs_code, 'D7', decided_date FROM live_cases
    WHERE case_type IN ('obstruction', 'bribery')
    UNION ALL
    SELECT customs_code, 'D8', judgment_effective_date FROM live_cases
    WHERE case_type = 'serious_safety_crime'
    UNION ALL
    SELECT customs_code, 'D8', decided_date FROM live_cases
    WHERE case_type = 'solid_waste_import' AND fine_cny > param('d8_solid_waste_fine')
),
event_breaches AS (
    SELECT e.customs_code, e.rule_id, max(e.d) AS last_breach,
           false AS holds_at_t, CAST(NULL AS DATE) AS projected_last, false AS unpaid_blocker
    FROM events e, ctx c
    WHERE e.d BETWEEN c.lookback_start AND c.as_of
    GROUP BY ALL
),
penalty_breaches AS (
    SELECT pd.customs_code,
           CASE pd.enterprise_type WHEN 'importer_exporter' THEN 'D3' ELSE 'D4' END AS rule_id,
           max(pd.day_to) FILTER (pd.holds) AS last_breach,
           coalesce(bool_or(pd.holds AND pd.day_to = c.as_of), false) AS holds_at_t,
           any_value(pd.enterprise_type) AS enterprise_type
    FROM penalty_days pd, ctx c
    GROUP BY ALL
    HAVING max(pd.day_to) FILTER (pd.holds) IS NOT NULL
),
projections AS (
    -- still holding at T: L is the day before the first exit day on which it no longer holds
    SELECT pb.customs_code, min(x.d) - 1 AS projected_last
    FROM penalty_breaches pb
    CROSS JOIN ctx c
    JOIN penalty_exits x USING (customs_code)
    LEFT JOIN documents_per_year dy ON dy.customs_code = pb.customs_code AND dy.yr = c.py_year
    WHERE pb.holds_at_t
      AND NOT dishonest_penalties_hold(pb.enterprise_type, x.n, x.f, coalesce(dy.docs, 0))
    GROUP BY ALL
),
tax_breaches AS (
    SELECT l.customs_code, 'D5' AS rule_id,
           max(least(c.as_of, coalesce(l.paid_date - 1, c.as_of))) AS last_breach,
           bool_or(l.paid_date IS NULL OR l.paid_date > c.as_of) AS holds_at_t,
           CAST(NULL AS DATE) AS projected_last,
           bool_or(l.paid_date IS NULL OR l.paid_date > c.as_of) AS unpaid_blocker
    FROM staging.liabilities l JOIN ent USING (customs_code), ctx c
    WHERE l.kind IN ('duty', 'vat', 'consumption_tax')
      -- it held on some day of the lookback: overdue from due + N months + 1 day until paid
      AND add_months(l.due_date, param('d5_overdue_months')) + 1
          <= least(c.as_of, coalesce(l.paid_date - 1, c.as_of))
      AND least(c.as_of, coalesce(l.paid_date - 1, c.as_of)) >= c.lookback_start
    GROUP BY ALL
),
fine_breaches AS (
    SELECT o.customs_code, 'D6' AS rule_id,
           max(o.day_to) FILTER (o.holds) AS last_breach,
           coalesce(bool_or(o.holds AND o.day_to = c.as_of), false) AS holds_at_t,
           CAST(NULL AS DATE) AS projected_last,
           coalesce(bool_or(o.holds AND o.still_unpaid_cny > 0), false) AS unpaid_blocker
    FROM overdue_fine_days o, ctx c
    GROUP BY ALL
    HAVING max(o.day_to) FILTER (o.holds) IS NOT NULL
),
all_breaches AS (
    SELECT * FROM event_breaches
    UNION ALL
    SELECT pb.customs_code, pb.rule_id, pb.last_breach, pb.holds_at_t, pr.projected_last, false
    FROM penalty_breaches pb LEFT JOIN projections pr USING (customs_code)
    UNION ALL
    SELECT * FROM tax_breaches
    UNION ALL
    SELECT * FROM fine_breaches
)
SELECT b.customs_code, b.rule_id, b.last_breach, b.holds_at_t, b.unpaid_blocker,
       coalesce(b.projected_last, b.last_breach) AS effective_last,
       b.last_breach > c.w2_after AS active,
       -- automatic repair L + 2 years; none while an unpaid liability keeps it holding
       CASE WHEN b.holds_at_t AND b.unpaid_blocker THEN NULL
            ELSE expiry_after(coalesce(b.projected_last, b.last_breach), param('repair_years'))
       END AS repair_date
FROM all_breaches b, ctx c;
