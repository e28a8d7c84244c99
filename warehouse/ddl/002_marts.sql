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

-- Every rule's outcome per enterprise and as_of that the view marts.rule_results cannot infer
-- (a plain pass, or n_a where the rule does not apply, is not stored): the engine's narrow record,
-- ~1/5 of the rows at 5,000 enterprises; the view (warehouse/views/marts/rule_results.sql)
-- renders it with what was measured, the limit, the legal basis and the explanations.
-- rule_id, status and variant are made ENUMs (widened when the code has a new value) by the
-- evaluation's transaction: transforms/outcome_types.py.
CREATE TABLE IF NOT EXISTS marts.rule_outcomes (
    customs_code     VARCHAR NOT NULL,
    as_of            DATE NOT NULL,
    rule_id          VARCHAR NOT NULL,
    status           VARCHAR NOT NULL,    -- pass | fail | warn | n_a
    variant          VARCHAR NOT NULL,    -- picks the explanation (explanation_templates)
    expiry_date      DATE,                -- when a failing rule stops failing if nothing new happens
    last_breach_date DATE                 -- D rules: the (projected) last breach day L; A1: latest L
);

-- The rulebooks evaluations used, by content (a user's copy may reuse an id): legal basis and
-- provisional flag per rule, parameter values as text.
CREATE TABLE IF NOT EXISTS marts.rulebook_rules (
    rulebook_sha256 VARCHAR NOT NULL,
    rulebook        VARCHAR NOT NULL,
    rule_id         VARCHAR NOT NULL,
    basis           VARCHAR NOT NULL,
    provisional     BOOLEAN NOT NULL      -- a parameter this rule uses is provisional
);
CREATE TABLE IF NOT EXISTS marts.rulebook_parameters (
    rulebook_sha256 VARCHAR NOT NULL,
    name            VARCHAR NOT NULL,
    value           VARCHAR NOT NULL
);

-- Explanation templates per rule and variant (transforms/explanations.toml, '*' fallbacks
-- expanded), replaced by every evaluation.
CREATE TABLE IF NOT EXISTS marts.explanation_templates (
    rule_id VARCHAR NOT NULL,
    variant VARCHAR NOT NULL,
    en      VARCHAR NOT NULL,
    zh      VARCHAR NOT NULL
);

-- rule_results rows written by engines that stored them rendered (moved here by the schema
-- migration; an as_of evaluated again leaves it).
CREATE TABLE IF NOT EXISTS marts.rule_results_archive (
    customs_code   VARCHAR NOT NULL,
    as_of          DATE NOT NULL,
    rule_id        VARCHAR NOT NULL,
    status         VARCHAR NOT NULL,
    value          VARCHAR,
    threshold      VARCHAR,
    expiry_date    DATE,
    basis          VARCHAR NOT NULL,
    explanation_en VARCHAR NOT NULL,
    explanation_zh VARCHAR NOT NULL,
    last_breach_date DATE,
    provisional    BOOLEAN NOT NULL,
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
-- What the A and W rules measured (added after the first release; rule_results renders them).
ALTER TABLE marts.enterprise_indicators ADD COLUMN IF NOT EXISTS recorded_level VARCHAR;
ALTER TABLE marts.enterprise_indicators ADD COLUMN IF NOT EXISTS arrears_count BIGINT;
ALTER TABLE marts.enterprise_indicators ADD COLUMN IF NOT EXISTS open_case_ids VARCHAR[];
ALTER TABLE marts.enterprise_indicators ADD COLUMN IF NOT EXISTS items_to_fix VARCHAR[];
ALTER TABLE marts.enterprise_indicators ADD COLUMN IF NOT EXISTS breaches BIGINT;              -- D rules breached in the lookback
ALTER TABLE marts.enterprise_indicators ADD COLUMN IF NOT EXISTS latest_breach_date DATE;       -- latest (projected) L
ALTER TABLE marts.enterprise_indicators ADD COLUMN IF NOT EXISTS latest_breach_rule VARCHAR;
ALTER TABLE marts.enterprise_indicators ADD COLUMN IF NOT EXISTS breach_unpaid BOOLEAN;        -- a D5/D6 breach held by unpaid amounts
ALTER TABLE marts.enterprise_indicators ADD COLUMN IF NOT EXISTS upgrade_bar_ends DATE;         -- A1 lifts (L + repair + bar years)
ALTER TABLE marts.enterprise_indicators ADD COLUMN IF NOT EXISTS cooldown_event VARCHAR;        -- A2
ALTER TABLE marts.enterprise_indicators ADD COLUMN IF NOT EXISTS cooldown_event_date DATE;
ALTER TABLE marts.enterprise_indicators ADD COLUMN IF NOT EXISTS financial_years BIGINT;        -- A5
ALTER TABLE marts.enterprise_indicators ADD COLUMN IF NOT EXISTS leverage_all_high BOOLEAN;
ALTER TABLE marts.enterprise_indicators ADD COLUMN IF NOT EXISTS leverage_ratios STRUCT(fiscal_year INTEGER, ratio DOUBLE)[];
ALTER TABLE marts.enterprise_indicators ADD COLUMN IF NOT EXISTS review_date DATE;              -- W3
ALTER TABLE marts.enterprise_indicators ADD COLUMN IF NOT EXISTS late_filings BIGINT;          -- W4
ALTER TABLE marts.enterprise_indicators ADD COLUMN IF NOT EXISTS unfiled_filings BIGINT;

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
