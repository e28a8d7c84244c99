-- Aggregates of the two big inputs, maintained by the staging merge in the batch's transaction
-- (warehouse/derived.py), so that an evaluation never scans declarations: at 10M declarations the
-- two passes it needed cost ~0.8 s, 16x a bare count.

CREATE SCHEMA IF NOT EXISTS derived;

-- Signed declaration counts: a batch adds its rows' counts and subtracts those of the rows it
-- replaces (under their own batch_id), so sum(n) per group is the count of current staging rows.
-- By month, with the day of every counted row for W1's edge months; and by year, for docs of PY(d).
DROP TABLE IF EXISTS derived.declaration_counts;  -- the first shape (rebuilt from staging)
CREATE TABLE IF NOT EXISTS derived.declaration_months (
    consignee_code VARCHAR,
    declarant_code VARCHAR,
    month          DATE NOT NULL,         -- first day of the declare_date's month
    batch_id       VARCHAR NOT NULL,      -- the batch the counted rows came from
    n              BIGINT NOT NULL,
    row_days       UTINYINT[] NOT NULL    -- the day of the month of each counted row (n < 0: of
                                          -- each row leaving staging). A list of days, not 31
                                          -- counts: at 10M rows, 31 filtered counts cost ~1 s a load
);
CREATE TABLE IF NOT EXISTS derived.declaration_years (
    consignee_code VARCHAR,
    declarant_code VARCHAR,
    year           INTEGER NOT NULL,
    batch_id       VARCHAR NOT NULL,
    n              BIGINT NOT NULL
);

-- Error-recorded declaration changes with the owner of their declaration, resolved when either
-- side lands; consignee_code/declarant_code stay NULL while the declaration is missing (orphan).
CREATE TABLE IF NOT EXISTS derived.error_changes (
    change_id      VARCHAR NOT NULL,
    entry_id       VARCHAR NOT NULL,
    requested_date DATE,
    consignee_code VARCHAR,
    declarant_code VARCHAR
);
