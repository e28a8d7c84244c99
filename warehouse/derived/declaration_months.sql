-- Declaration counts of a set of rows ({rows}), grouped as derived.declaration_months stores them;
-- {sign} is 1 for rows entering staging, -1 for rows leaving it. Every kind the data contract
-- admits (entry, filing_list, manifest) is a document (credit-rules.md, docs): no kind filter.
SELECT consignee_code, declarant_code,
       CAST(date_trunc('month', declare_date) AS DATE) AS month,
       {batch_id} AS batch_id,
       {sign} * count(*) AS n,
       list(CAST(day(declare_date) AS UTINYINT)) AS row_days
FROM {rows}
GROUP BY ALL
