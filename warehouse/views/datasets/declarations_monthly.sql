-- Declarations aggregated per enterprise x role x month x doc_kind (the raw table can hold 10M rows).
-- role: 'consignee' (收发货人) or 'declarant' (申报单位); a self-declared entry counts in both roles.
-- counts_as_docs: this role is the one the rulebook counts for the enterprise's type (consignee for
-- importer_exporter, declarant for customs_broker); NULL when the enterprise is not on record.
WITH by_role AS (
    SELECT consignee_code AS customs_code, 'consignee' AS role, declare_date, doc_kind, ie_flag,
           status, value_cny
    FROM staging.declarations
    UNION ALL
    SELECT declarant_code, 'declarant', declare_date, doc_kind, ie_flag, status, value_cny
    FROM staging.declarations
),
monthly AS (
    SELECT customs_code,
           role,
           CAST(date_trunc('month', declare_date) AS DATE) AS month,
           doc_kind,
           count(*) AS declarations,
           count(*) FILTER (WHERE ie_flag = 'I') AS imports,
           count(*) FILTER (WHERE ie_flag = 'E') AS exports,
           count(*) FILTER (WHERE status = 'cancelled') AS cancelled,
           CAST(sum(value_cny) AS DECIMAL(18, 2)) AS value_cny
    FROM by_role
    GROUP BY customs_code, role, month, doc_kind
)
SELECT m.*,
       CASE
           WHEN e.enterprise_type IS NULL THEN NULL
           WHEN e.enterprise_type = 'customs_broker' THEN m.role = 'declarant'
           ELSE m.role = 'consignee'
       END AS counts_as_docs
FROM monthly AS m
LEFT JOIN staging.enterprises AS e USING (customs_code)
