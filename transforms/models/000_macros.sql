-- Calendar arithmetic of the rulebook (credit-rules.md, Vocabulary).
-- X + N years, clamped (29 Feb + 1 year = 28 Feb); N may be negative.
CREATE OR REPLACE TEMP MACRO add_years(x, n) AS CAST(x + to_years(CAST(n AS INTEGER)) AS DATE);
-- X + N months, clamped to the month's last day (31 Jan + 1 month = 28/29 Feb).
CREATE OR REPLACE TEMP MACRO add_months(x, n) AS CAST(x + to_months(CAST(n AS INTEGER)) AS DATE);
-- An expiry: the first day d on which X has left the N-year window (d - N years >= X), so a
-- 29 February leaves on 1 March when the target year has no 29 February (X + N years was clamped
-- to 28 February: going back N years from it falls short of X). Written without month()/day():
-- each use of those builds a calendar cache per query (~0.3 ms, measured).
CREATE OR REPLACE TEMP MACRO expiry_after(x, n) AS
    CASE WHEN add_years(add_years(x, n), -n) < x THEN add_years(x, n) + 1 ELSE add_years(x, n) END;
-- D3 (importers/exporters) and D4 (brokers): penalties beyond the per-mille ratio of the previous
-- year's documents and beyond the amount; with no documents the amount test alone applies.
CREATE OR REPLACE TEMP MACRO dishonest_penalties_hold(etype, n, f, docs) AS
    CASE WHEN etype = 'importer_exporter' THEN
             CASE WHEN docs = 0 THEN f > param('d3_fine_amount')
                  ELSE n > param('d3_doc_ratio') * docs AND f > param('d3_fine_amount') END
         WHEN etype = 'customs_broker' THEN
             CASE WHEN docs = 0 THEN f > param('d4_fine_amount')
                  ELSE n > param('d4_doc_ratio') * docs AND f > param('d4_fine_amount') END
         ELSE false END;
-- A6: counted penalties beyond the certification standard's limits.
CREATE OR REPLACE TEMP MACRO certification_penalties_exceed(etype, n, f, max_fine, docs) AS
    CASE WHEN etype = 'importer_exporter' THEN
             f > param('a6_ie_fine_total')
             OR (n > param('a6_ie_count') AND n > param('a6_ie_doc_ratio') * docs)
             OR max_fine > param('a6_ie_single_fine')
         WHEN etype = 'customs_broker' THEN
             n > param('a6_broker_doc_ratio') * docs
             OR f > param('a6_broker_fine_total')
             OR max_fine > param('a6_broker_single_fine')
         ELSE false END;
-- A rule outcome the view marts.rule_results infers for a missing row, so the outcome models leave
-- it out: a plain pass, or not applicable (D3 to a non-importer/exporter, D4 to a non-broker, W3
-- below advanced: the view reads the same conditions from enterprise_indicators), with no dates.
-- The snapshot needs neither: it counts fails and warnings only.
CREATE OR REPLACE TEMP MACRO implied_outcome(status, variant, expiry_date, last_breach_date) AS
    expiry_date IS NULL AND last_breach_date IS NULL
    AND ((status = 'pass' AND variant = 'pass') OR (status = 'n_a' AND variant = 'n_a'));
-- An enterprise whose recorded level is already dishonest (A1 fails on it alone).
CREATE OR REPLACE TEMP MACRO recorded_dishonest(level) AS
    level IN ('dishonest', 'seriously_dishonest');
