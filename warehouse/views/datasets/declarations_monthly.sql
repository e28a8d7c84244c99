-- Declarations aggregated per enterprise x role x month x doc_kind (the raw table can hold 10M rows).
-- role: 'consignee' (收发货人) or 'declarant' (申报单位); a self-declared entry counts in both roles.
-- counts_as_docs: this role is the one the rulebook counts for the enterprise's type (consignee for
-- importer_exporter, declarant for customs_broker); NULL when the enterprise is not on record.
WITH pairs AS MATERIALIZED (
    -- One pass over the raw rows; consignee x declarant pairs are few per enterprise.
    SELECT consignee_code,
           declarant_code,
           CAST(date_trunc('month', declare_date) AS DATE) AS month,
           doc_kind,
           count(*) AS declarations,
           count(*) FILTER (WHERE ie_flag = 'I') AS imports,
           count(*) FILTER (WHERE ie_flag = 'E') AS exports,
           count(*) FILTER (WHERE status = 'cancelled') AS cancelled,
           sum(value_cny) AS value_cny
    FROM staging.declarations
    GROUP BY consignee_code, declarant_code, month, doc_kind
),
by_role AS (
    SELECT consignee_code AS customs_code, 'consignee' AS role, month, doc_kind, declarations,
           imports, exports, cancelled, value_cny
    FROM pairs
    UNION ALL
    SELECT declarant_code, 'declarant', month, doc_kind, declarations, imports, exports,
           cancelled, value_cny
    FROM pairs
),
monthly AS (
    SELECT customs_code, role, month, doc_kind,
           sum(declarations) AS declarations,
           sum(imports) AS imports,
           sum(exports) AS exports,
           sum(cancelled) AS cancelled,
           CAST(sum(value_cny) AS DECIMAL(18, 2)) AS value_cny
    FROM by_role
    GROUP BY customs_code, role, month, doc_kind
)
SELECT m.customs_code,
       m.role,
       m.month,
       m.doc_kind,
       CAST(m.declarations AS BIGINT) AS declarations,
       CAST(m.imports AS BIGINT) AS imports,
       CAST(m.exports AS BIGINT) AS exports,
       CAST(m.cancelled AS BIGINT) AS cancelled,
       m.value_cny,
       CASE
           WHEN e.enterprise_type IS NULL THEN NULL
           WHEN e.enterprise_type = 'customs_broker' THEN m.role = 'declarant'
           ELSE m.role = 'consignee'
       END AS counts_as_docs
FROM monthly AS m
LEFT JOIN staging.enterprises AS e USING (customs_code)
