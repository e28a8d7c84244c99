-- The batches each enterprise's snapshot row rests on: every batch that holds a current staging
-- row of the enterprise, its documents counted for its role included (a batch whose documents of
-- the enterprise were all replaced later nets to 0 and is left out).
CREATE OR REPLACE TEMP TABLE lineage AS
SELECT customs_code, list(batch_id ORDER BY batch_id) AS batch_ids
FROM (SELECT DISTINCT * FROM (
    SELECT customs_code, batch_id FROM staging.enterprises
    UNION ALL SELECT customs_code, batch_id FROM documents_by_owner
              GROUP BY ALL HAVING sum(n) > 0
    UNION ALL SELECT customs_code, batch_id FROM staging.cases
    UNION ALL SELECT customs_code, batch_id FROM staging.liabilities
    UNION ALL SELECT customs_code, batch_id FROM staging.certification_events
    UNION ALL SELECT customs_code, batch_id FROM staging.filings
    UNION ALL SELECT customs_code, batch_id FROM staging.control_assessments
    UNION ALL SELECT customs_code, batch_id FROM staging.financials
))
GROUP BY customs_code;
