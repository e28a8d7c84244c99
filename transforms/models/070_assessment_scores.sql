-- A7 self-assessment: each item's latest assessment on or before T; not_applicable left out.
-- Scored modules are all but 'additional'; additional items only add a capped bonus.
CREATE OR REPLACE TEMP TABLE assessment_scores AS
WITH latest AS (
    -- (customs_code, item_code, assessed_date) is the key: one latest row per item
    SELECT a.customs_code, a.item_code,
           max(a.assessed_date) AS assessed_date,
           arg_max(a.module, a.assessed_date) AS module,
           arg_max(a.result, a.assessed_date) AS result
    FROM staging.control_assessments a JOIN ent USING (customs_code), ctx c
    WHERE a.assessed_date <= c.as_of
    GROUP BY a.customs_code, a.item_code
),
counts AS (
    SELECT customs_code,
           max(assessed_date) AS latest_assessment_date,
           count(*) FILTER (module <> 'additional' AND result = 'basically_meets') AS basically_meets,
           count(*) FILTER (module <> 'additional' AND result = 'fails') AS fails,
           count(*) FILTER (result = 'pending') AS pending,
           count(*) FILTER (module IN ('internal_control', 'trade_security')
                            AND result = 'basically_meets') AS ic_ts_basically_meets,
           count(*) FILTER (module = 'additional' AND result = 'meets') AS additional_meets,
           list(item_code ORDER BY item_code) FILTER (result IN ('fails', 'pending')
               OR (result = 'basically_meets' AND module <> 'additional')) AS items_to_fix
    FROM latest
    GROUP BY customs_code
)
SELECT *,
       CAST(least(param('a7_bonus_cap'), param('a7_bonus_per_item') * additional_meets)
            AS DECIMAL(6,2)) AS bonus,
       CAST(100 - param('a7_deduct_basically_meets') * basically_meets
                - param('a7_deduct_fails') * fails
                + least(param('a7_bonus_cap'), param('a7_bonus_per_item') * additional_meets)
            AS DECIMAL(6,2)) AS score
FROM counts;
