-- Cases that count as penalties whenever their decision date is in the 1-year window
-- (credit-rules.md, Counted penalties). Static per case: only the window moves with d.
CREATE OR REPLACE TEMP TABLE counted_penalties AS
SELECT
    c.customs_code,
    c.case_id,
    c.decided_date,
    expiry_after(c.decided_date, 1)      AS exit_date,   -- first day it is out of W1
    coalesce(c.fine_cny, 0)              AS fine
FROM staging.cases c
JOIN ent e USING (customs_code)
WHERE c.case_type IN ('supervision_violation', 'tax_violation')
  AND c.penalty_kind IN ('warning', 'fine', 'confiscation')
  AND c.status <> 'revoked'
  AND c.decided_date IS NOT NULL
  -- voluntary disclosure: a warning, or a fine within the cap in force on the decision date
  AND NOT (
      coalesce(c.voluntary_disclosure, false)
      AND (
          c.penalty_kind = 'warning'
          OR coalesce(c.fine_cny, 0) <= CASE WHEN c.decided_date < param('vd_cap_change_date')
                                             THEN param('vd_cap_early')
                                             ELSE param('vd_cap_late') END
      )
  )
  -- non-intentional violations of importers/exporters decided in the exclusion period
  AND NOT (
      e.enterprise_type = 'importer_exporter'
      AND c.intentional = 'no'
      AND c.decided_date BETWEEN param('nonintentional_from') AND param('nonintentional_to')
  );
