-- The one pass over declarations: counts by consignee, declarant, year and W1(T) membership.
-- Its few thousand groups feed docs per year, the W2 denominator and batch lineage.
CREATE OR REPLACE TEMP TABLE declaration_counts AS
SELECT
    d.consignee_code,
    d.declarant_code,
    year(d.declare_date)                                            AS yr,
    d.declare_date > c.w1_after AND d.declare_date <= c.as_of       AS in_w1,
    d.batch_id,
    count(*)                                                        AS n
FROM staging.declarations d, ctx c
WHERE d.doc_kind IN ('entry', 'filing_list', 'manifest')
GROUP BY ALL;
