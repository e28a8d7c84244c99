-- Declaration errors per enterprise x calendar quarter, counted as rule W2 counts them:
-- the enterprise's declarations are those it is consignee of (importer_exporter) or declarant of
-- (customs_broker). Numerator: change rows with error_recorded, by the quarter of requested_date;
-- denominator: the enterprise's declarations, by the quarter of declare_date. Changes whose
-- declaration is unknown are left out. Enterprises not on record are left out.
WITH own AS (
    SELECT e.customs_code, d.entry_id, d.declare_date
    FROM staging.declarations AS d
    JOIN staging.enterprises AS e ON d.consignee_code = e.customs_code
    WHERE e.enterprise_type <> 'customs_broker'
    UNION ALL
    SELECT e.customs_code, d.entry_id, d.declare_date
    FROM staging.declarations AS d
    JOIN staging.enterprises AS e ON d.declarant_code = e.customs_code
    WHERE e.enterprise_type = 'customs_broker'
),
decl AS (
    SELECT customs_code, CAST(date_trunc('quarter', declare_date) AS DATE) AS quarter,
           count(*) AS declarations
    FROM own
    GROUP BY customs_code, quarter
),
chg AS (
    SELECT o.customs_code, CAST(date_trunc('quarter', c.requested_date) AS DATE) AS quarter,
           count(*) AS changes,
           count(*) FILTER (WHERE c.error_recorded) AS error_changes,
           count(*) FILTER (WHERE c.change_type = 'cancel') AS cancellations
    FROM staging.declaration_changes AS c
    JOIN own AS o USING (entry_id)
    GROUP BY o.customs_code, quarter
)
SELECT customs_code,
       quarter,
       CAST(year(quarter) AS VARCHAR) || '-Q' || CAST(quarter(quarter) AS VARCHAR) AS quarter_label,
       coalesce(decl.declarations, 0) AS declarations,
       coalesce(chg.changes, 0) AS changes,
       coalesce(chg.error_changes, 0) AS error_changes,
       coalesce(chg.cancellations, 0) AS cancellations,
       CAST(coalesce(chg.error_changes, 0) AS DOUBLE) / nullif(decl.declarations, 0) AS error_rate
FROM decl
FULL OUTER JOIN chg USING (customs_code, quarter)
