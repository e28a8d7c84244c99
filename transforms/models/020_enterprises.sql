-- The enterprises evaluated: every enterprise registered in staging.
CREATE OR REPLACE TEMP TABLE ent AS
SELECT customs_code, enterprise_type, recorded_level, level_since, name
FROM staging.enterprises;
