-- Marts written by the rule engine (transforms/). Each evaluation replaces the rows of its as_of
-- in one transaction; other as_of dates stay as history.

CREATE TABLE IF NOT EXISTS marts.eligibility_snapshot (
    customs_code              VARCHAR NOT NULL,
    as_of                     DATE NOT NULL,
    rulebook                  VARCHAR NOT NULL,
    recorded_level            VARCHAR,
    assessed_level            VARCHAR NOT NULL,
    dishonest                 BOOLEAN NOT NULL,
    advanced_ready            BOOLEAN NOT NULL,
    blockers                  VARCHAR[] NOT NULL,
    warnings                  VARCHAR[] NOT NULL,
    earliest_application_date DATE,
    score                     DECIMAL(6,2),
    provisional               BOOLEAN NOT NULL,
    run_id                    VARCHAR NOT NULL,
    batch_ids                 VARCHAR[] NOT NULL
);

CREATE TABLE IF NOT EXISTS marts.rule_results (
    customs_code   VARCHAR NOT NULL,
    as_of          DATE NOT NULL,
    rule_id        VARCHAR NOT NULL,
    status         VARCHAR NOT NULL,      -- pass | fail | warn | n_a
    value          VARCHAR,               -- the measured quantity, readable
    threshold      VARCHAR,               -- the limit it was compared with, readable
    expiry_date    DATE,                  -- when a failing rule stops failing if nothing new happens
    basis          VARCHAR NOT NULL,      -- legal basis
    explanation_en VARCHAR NOT NULL,
    explanation_zh VARCHAR NOT NULL,
    last_breach_date DATE,                -- D rules: the (projected) last breach day L
    provisional    BOOLEAN NOT NULL,      -- a parameter this rule used is provisional
    rulebook       VARCHAR NOT NULL,
    run_id         VARCHAR NOT NULL
);

CREATE TABLE IF NOT EXISTS marts.enterprise_indicators (
    customs_code          VARCHAR NOT NULL,
    as_of                 DATE NOT NULL,
    enterprise_type       VARCHAR,
    docs_py               BIGINT NOT NULL,      -- documents in the previous calendar year
    counted_penalties     BIGINT NOT NULL,      -- n in W1(T)
    counted_fines_cny     DECIMAL(18,2) NOT NULL, -- F in W1(T)
    max_single_fine_cny   DECIMAL(18,2),
    dishonest_count_limit DOUBLE,               -- ratio x docs (D3 or D4)
    dishonest_amount_limit DECIMAL(18,2),
    penalty_ratio         DOUBLE,               -- n / docs (per mille is x1000); NULL when docs = 0
    count_headroom        DOUBLE,               -- limit - n (negative: beyond)
    amount_headroom_cny   DECIMAL(18,2),        -- amount limit - F
    declarations_w1       BIGINT NOT NULL,
    error_changes_w1      BIGINT NOT NULL,
    error_rate            DOUBLE,
    overdue_tax_cny       DECIMAL(18,2) NOT NULL, -- D5 kinds unpaid beyond due + 3 months
    overdue_fines_cny     DECIMAL(18,2) NOT NULL, -- D6 kinds unpaid beyond due + 6 months
    arrears_cny           DECIMAL(18,2) NOT NULL, -- any kind unpaid past due (A4)
    open_cases            BIGINT NOT NULL,
    score                 DECIMAL(6,2),
    score_basically_meets BIGINT,
    score_fails           BIGINT,
    score_bonus           DECIMAL(6,2),
    pending_items         BIGINT,
    ic_ts_basically_meets BIGINT,
    latest_assessment_date DATE,
    run_id                VARCHAR NOT NULL
);

-- One row per evaluation: which rulebook, when, how long.
CREATE TABLE IF NOT EXISTS marts.evaluations (
    as_of        DATE PRIMARY KEY,
    rulebook     VARCHAR NOT NULL,
    rulebook_sha256 VARCHAR NOT NULL,
    provisional  BOOLEAN NOT NULL,
    run_id       VARCHAR NOT NULL,
    enterprises  BIGINT NOT NULL,
    evaluated_at TIMESTAMPTZ NOT NULL,
    duration_s   DOUBLE
);
