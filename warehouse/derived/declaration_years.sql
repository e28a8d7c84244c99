-- Yearly totals of monthly counts ({months}), as derived.declaration_years stores them.
SELECT consignee_code, declarant_code, CAST(year(month) AS INTEGER) AS year, batch_id, sum(n) AS n
FROM {months}
GROUP BY ALL
