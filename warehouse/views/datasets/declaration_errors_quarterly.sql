-- Declaration errors per enterprise x calendar quarter, counted as rule W2 counts them:
-- the enterprise's declarations are those it is consignee of (importer_exporter) or declarant of
-- (customs_broker). Numerator: change rows with error_recorded, by the quarter of requested_date;
-- denominator: the enterprise's declarations, by the quarter of declare_date. Changes whose
-- declaration is unknown are left out. Enterprises not on record are left out.
-- Aggregate first (by consignee x declarant), attribute to enterprises after: the raw table is big.
WITH decl_pairs AS MATERIALIZED (
    SELECT consignee_code, declarant_code,
           CAST(date_trunc('quarter', declare_date) AS DATE) AS quarter,
           count(*) AS declarations
    FROM staging.declarations
    GROUP BY consignee_code, declarant_code, quarter
),
chg_pairs AS MATERIALIZED (
    SELECT d.consignee_code, d.declarant_code,
           CAST(date_trunc('quarter', c.requested_date) AS DATE) AS quarter,
           count(*) AS changes,
           count(*) FILTER (WHERE c.error_recorded) AS error_changes,
           count(*) FILTER (WHERE c.change_type = 'cancel') AS cancellations
    FROM staging.declaration_changes AS c
    JOIN staging.declarations AS d USING (entry_id)
    GROUP BY d.consignee_code, d.declarant_code, quarter
),
decl AS (
    SELECT e.customs_code, p.quarter, sum(p.declarations) AS declarations
    FROM decl_pairs AS p JOIN staging.enterprises AS e ON p.consignee_code = e.customs_code
    WHERE e.enterprise_type <> 'customs_broker'
    GROUP BY e.customs_code, p.quarter
    UNION ALL
    SELECT e.customs_code, p.quarter, sum(p.declarations)
    FROM decl_pairs AS p JOIN staging.enterprises AS e ON p.declarant_code = e.customs_code
    WHERE e.enterprise_type = 'customs_broker'
    GROUP BY e.customs_code, p.quarter
),
chg AS (
    SELECT e.customs_code, p.quarter, sum(p.changes) AS changes,
           sum(p.error_changes) AS error_changes, sum(p.cancellations) AS cancellations
    FROM chg_pairs AS p JOIN staging.enterprises AS e ON p.consignee_code = e.customs_code
    WHERE e.enterprise_type <> 'customs_broker'
    GROUP BY e.customs_code, p.quarter
    UNION ALL
    SELECT e.customs_code, p.quarter, sum(p.changes), sum(p.error_changes), sum(p.cancellations)
    FROM chg_pairs AS p JOIN staging.enterprises AS e ON p.declarant_code = e.customs_code
    WHERE e.enterprise_type = 'customs_broker'
    GROUP BY e.customs_code, p.quarter
)
SELECT customs_code,
       quarter,
       CAST(year(quarter) AS VARCHAR) || '-Q' || CAST(quarter(quarter) AS VARCHAR) AS quarter_label,
       CAST(coalesce(decl.declarations, 0) AS BIGINT) AS declarations,
       CAST(coalesce(chg.changes, 0) AS BIGINT) AS changes,
       CAST(coalesce(chg.error_changes, 0) AS BIGINT) AS error_changes,
       CAST(coalesce(chg.cancellations, 0) AS BIGINT) AS cancellations,
       CAST(coalesce(chg.error_changes, 0) AS DOUBLE) / nullif(decl.declarations, 0) AS error_rate
FROM decl
FULL OUTER JOIN chg USING (customs_code, quarter)
