-- Operational tables: what was loaded, what was refused and why, what ran.
CREATE SCHEMA IF NOT EXISTS raw;
CREATE SCHEMA IF NOT EXISTS staging;
CREATE SCHEMA IF NOT EXISTS marts;
CREATE SCHEMA IF NOT EXISTS ops;

-- One row per file offered to ingestion (accepted or rejected); duplicates are not re-recorded.
CREATE TABLE IF NOT EXISTS ops.ingest_ledger (
    batch_id      VARCHAR PRIMARY KEY,
    kind          VARCHAR,
    file_name     VARCHAR NOT NULL,
    file_path     VARCHAR NOT NULL,
    file_format   VARCHAR,
    encoding      VARCHAR,
    sha256        VARCHAR NOT NULL,
    size_bytes    BIGINT NOT NULL,
    rows          BIGINT,
    status        VARCHAR NOT NULL,          -- accepted | rejected
    reason        VARCHAR,                   -- one line, for rejected batches
    warnings      INTEGER DEFAULT 0,
    started_at    TIMESTAMPTZ NOT NULL,
    finished_at   TIMESTAMPTZ NOT NULL,
    duration_s    DOUBLE
);

-- Machine-readable reasons of a rejected batch: one row per finding (file, row, column, value, rule).
CREATE TABLE IF NOT EXISTS ops.rejections (
    batch_id   VARCHAR NOT NULL,
    file_name  VARCHAR NOT NULL,
    row_number BIGINT,                       -- 1-based data row (header excluded); NULL for file-level
    column_name VARCHAR,
    value      VARCHAR,
    rule       VARCHAR NOT NULL,
    message    VARCHAR NOT NULL
);

-- Problems that did not reject the batch (optional columns, orphans waiting for their parent).
CREATE TABLE IF NOT EXISTS ops.ingest_warnings (
    batch_id   VARCHAR NOT NULL,
    file_name  VARCHAR NOT NULL,
    row_number BIGINT,
    column_name VARCHAR,
    value      VARCHAR,
    rule       VARCHAR NOT NULL,
    message    VARCHAR NOT NULL
);

-- Every expectation of every GX validation run.
CREATE TABLE IF NOT EXISTS ops.quality_results (
    batch_id         VARCHAR NOT NULL,
    suite            VARCHAR NOT NULL,
    expectation      VARCHAR NOT NULL,
    success          BOOLEAN NOT NULL,
    unexpected_count BIGINT,
    details          VARCHAR,
    validated_at     TIMESTAMPTZ NOT NULL
);

-- Pipeline runs (ingest, evaluate, publish), with the Prefect flow run id when orchestrated.
CREATE TABLE IF NOT EXISTS ops.runs (
    run_id      VARCHAR PRIMARY KEY,
    flow        VARCHAR NOT NULL,
    as_of       DATE,
    status      VARCHAR NOT NULL,
    started_at  TIMESTAMPTZ NOT NULL,
    finished_at TIMESTAMPTZ,
    details     VARCHAR
);

-- Seconds each SQL model of an evaluation took (transforms/models/*.sql): shows which model grew
-- slow, and the next evaluation starts the longest remaining chain of models first.
CREATE TABLE IF NOT EXISTS ops.model_timings (
    run_id      VARCHAR NOT NULL,
    as_of       DATE NOT NULL,
    model       VARCHAR NOT NULL,
    seconds     DOUBLE NOT NULL,
    recorded_at TIMESTAMPTZ NOT NULL
);
