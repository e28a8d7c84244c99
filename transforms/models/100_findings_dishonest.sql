-- D1-D8 for every enterprise. fail = active (L in W2(T)); a repaired breach passes but still
-- counts for A1. expiry_date of a failing D rule is its automatic repair date.
CREATE OR REPLACE TEMP TABLE findings_dishonest AS
WITH rules AS (
    SELECT * FROM (VALUES ('D1'), ('D2'), ('D3'), ('D4'), ('D5'), ('D6'), ('D7'), ('D8')) r(rule_id)
)
SELECT e.customs_code, r.rule_id,
       CASE WHEN r.rule_id = 'D3' AND e.enterprise_type <> 'importer_exporter' THEN 'n_a'
            WHEN r.rule_id = 'D4' AND e.enterprise_type <> 'customs_broker' THEN 'n_a'
            WHEN b.active THEN 'fail'
            ELSE 'pass' END AS status,
       CASE WHEN r.rule_id IN ('D3', 'D4') THEN
                format('n={}, F={} CNY, docs={}', i.counted_penalties, cny(i.counted_fines_cny),
                       i.docs_py)
            WHEN r.rule_id = 'D5' THEN format('{} CNY overdue', cny(i.overdue_tax_cny))
            WHEN r.rule_id = 'D6' THEN format('{} CNY overdue', cny(i.overdue_fines_cny))
            ELSE coalesce('last event ' || CAST(b.last_breach AS VARCHAR), 'no event')
       END AS value,
       CASE r.rule_id
            WHEN 'D3' THEN format('n > {} and F > {} CNY', round(i.dishonest_count_limit, 2),
                                  cny(param('d3_fine_amount')))
            WHEN 'D4' THEN format('n > {} and F > {} CNY', round(i.dishonest_count_limit, 2),
                                  cny(param('d4_fine_amount')))
            WHEN 'D5' THEN format('unpaid > {} months after due', param('d5_overdue_months'))
            WHEN 'D6' THEN format('> {} CNY unpaid > {} months after due', cny(param('d6_amount')),
                                  param('d6_overdue_months'))
            WHEN 'D8' THEN format('event; solid-waste fine > {} CNY',
                                  cny(param('d8_solid_waste_fine')))
            ELSE 'event within 2 years'
       END AS threshold,
       CASE WHEN b.active THEN b.repair_date END AS expiry_date,
       b.effective_last AS last_breach_date,
       CASE WHEN (r.rule_id = 'D3' AND e.enterprise_type <> 'importer_exporter')
              OR (r.rule_id = 'D4' AND e.enterprise_type <> 'customs_broker') THEN 'n_a'
            WHEN b.active AND b.repair_date IS NULL THEN 'fail_unpaid'
            WHEN b.active THEN 'fail'
            WHEN b.last_breach IS NOT NULL THEN 'repaired'
            ELSE 'pass' END AS variant
FROM ent e
CROSS JOIN rules r
JOIN enterprise_indicators i USING (customs_code)
LEFT JOIN dishonest_breaches b ON b.customs_code = e.customs_code AND b.rule_id = r.rule_id;
