"""The GX quality gate on real DuckDB files: clean batches pass, each planted defect is caught."""

from __future__ import annotations

import datetime

import duckdb
import pytest

from expectations.gx_validate import (
    QualityFinding,
    QualityGateCrash,
    errors,
    findings_to_rows,
    validate_batch,
    warnings,
)
from expectations.suites import build_suite
from tests.gx_helpers import LOAD_DATE, clean_rows, make_batch
from warehouse.connection import connect
from warehouse.contract import KINDS
from warehouse.settings import load_settings


@pytest.fixture(scope="module")
def con(tmp_path_factory: pytest.TempPathFactory) -> duckdb.DuckDBPyConnection:
    """The pipeline's own connection (settings, schema) on a warehouse file under tmp_path."""
    path = tmp_path_factory.mktemp("gx") / "warehouse.duckdb"
    c = connect(load_settings(path))
    yield c
    c.close()


def failed(findings: list[QualityFinding]) -> dict[str, QualityFinding]:
    return {f.expectation: f for f in findings if not f.success}


def run(con: duckdb.DuckDBPyConnection, kind: str, rows: list[dict], **kw) -> list[QualityFinding]:
    table = make_batch(con, kind, rows, **kw)
    return validate_batch(con, kind, table, load_date=LOAD_DATE)


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_clean_batch_passes_every_expectation(con, kind):
    findings = run(con, kind, clean_rows(kind))
    suite = build_suite(kind, LOAD_DATE)
    assert [f.expectation for f in findings] == [c.name for c in suite.checks]
    assert failed(findings) == {}
    assert all(f.unexpected_count == 0 and f.first_row is None for f in findings)
    assert {f.suite for f in findings} == {kind}


def test_declarations_suite_covers_the_contract():
    names = {c.name for c in build_suite("declarations", LOAD_DATE).checks}
    assert {
        "table_row_count_at_least_1",
        "entry_id_not_null",
        "entry_id_unique",
        "entry_id_matches_pattern",
        "consignee_code_matches_pattern",
        "customs_district_matches_pattern",
        "ie_flag_in_set",
        "doc_kind_in_set",
        "status_in_set",
        "value_cny_not_negative",
        "declare_date_not_after_load_date",
        "ie_flag_matches_entry_id",
    } <= names
    assert "doc_kind_not_null" not in names  # optional column (defaults to entry)


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_every_suite_checks_keys_and_required_columns(kind):
    k = KINDS[kind]
    suite = build_suite(kind, LOAD_DATE)
    key_check = suite.check("_".join(k.key) + "_unique")
    assert (key_check.rule, key_check.severity) == ("unique_key", "error")
    required = {c.name for c in k.columns if c.required}
    not_null = {c.column for c in suite.checks if c.rule == "required"}
    assert not_null == required | set(k.key)
    assert suite.checks[0].name == "table_row_count_at_least_1"


def test_unique_columns_come_from_the_contract_notes():
    assert build_suite("enterprises", LOAD_DATE).check("uscc_unique").rule == "unique"
    with pytest.raises(ValueError, match="unknown kind"):
        build_suite("invoices", LOAD_DATE)


def _plant(kind: str, row: int, **changes) -> list[dict]:
    """Clean rows plus a third row (source_row 3) copied from `row` with `changes`."""
    rows = clean_rows(kind)
    rows.append({**rows[row], **changes})
    return rows


DECL_KEY = {"entry_id": "220120261000000003"}  # a fresh key, so only the planted defect fails


DEFECTS = [
    (
        "declarations",
        _plant("declarations", 0, entry_id=None),
        "entry_id_not_null",
        "required",
        "entry_id",
        None,
        "error",
    ),
    (
        "declarations",
        _plant("declarations", 0),
        "entry_id_unique",
        "unique_key",
        "entry_id",
        "220120261000000001",
        "error",
    ),
    (
        "declarations",
        _plant("declarations", 0, **DECL_KEY, consignee_code="31O1234S6"),
        "consignee_code_matches_pattern",
        "pattern",
        "consignee_code",
        "31O1234S6",
        "error",
    ),
    (
        "declarations",
        _plant("declarations", 0, **DECL_KEY, status="approved"),
        "status_in_set",
        "enum",
        "status",
        "approved",
        "error",
    ),
    (
        "declarations",
        _plant("declarations", 0, **DECL_KEY, value_cny="-0.01"),
        "value_cny_not_negative",
        "min_value",
        "value_cny",
        "-0.01",
        "error",
    ),
    (
        "declarations",
        _plant("declarations", 0, **DECL_KEY, declare_date="2026-11-28"),
        "declare_date_not_after_load_date",
        "after_load_date",
        "declare_date",
        "2026-11-28",
        "error",
    ),
    (
        "declarations",
        _plant("declarations", 0, **DECL_KEY, ie_flag="E"),
        "ie_flag_matches_entry_id",
        "ie_flag_mismatch",
        "ie_flag",
        "E",
        "error",
    ),
    (
        "cases",
        _plant("cases", 0, case_id="K-3", decided_date="2025-01-09"),
        "decided_date_not_before_opened_date",
        "decided_before_opened",
        "decided_date",
        "2025-01-09",
        "error",
    ),
    (
        "cases",
        _plant("cases", 0, case_id="K-3", decided_date=None),
        "decided_date_required_unless_investigating",
        "required_unless_investigating",
        "decided_date",
        None,
        "error",
    ),
    (
        "cases",
        _plant("cases", 0, case_id="K-3", penalty_kind=None, fine_cny=None),
        "penalty_kind_required_unless_investigating",
        "required_unless_investigating",
        "penalty_kind",
        None,
        "error",
    ),
    (
        "cases",
        _plant("cases", 0, case_id="K-3", fine_cny=None),
        "fine_cny_required_when_fine",
        "required_when_fine",
        "fine_cny",
        None,
        "error",
    ),
    (
        "cases",
        _plant("cases", 0, case_id="K-3", closed_date="2024-12-31"),
        "closed_date_not_before_opened_date",
        "closed_before_opened",
        "closed_date",
        "2024-12-31",
        "warning",
    ),
    (
        "cases",
        _plant("cases", 0, case_id="K-3", judgment_effective_date="2025-05-01"),
        "judgment_effective_date_only_on_crimes",
        "judgment_case_type",
        "judgment_effective_date",
        "2025-05-01",
        "warning",
    ),
    (
        "liabilities",
        _plant("liabilities", 0, liability_id="L-3", amount_cny="0.00"),
        "amount_cny_positive",
        "min_value",
        "amount_cny",
        "0.00",
        "error",
    ),
    (
        "enterprises",
        _plant("enterprises", 0, customs_code="3101234569"),
        "uscc_unique",
        "unique",
        "uscc",
        "91310000MA1234567X",
        "error",
    ),
    (
        "financials",
        _plant("financials", 0, total_assets="5.00"),
        "customs_code_fiscal_year_unique",
        "unique_key",
        "customs_code",
        "3101234567|2025",
        "error",
    ),
    (
        "control_assessments",
        _plant("control_assessments", 1, result="meets"),
        "customs_code_item_code_assessed_date_unique",
        "unique_key",
        "customs_code",
        "3101234567|IC-1.2|2026-05-02",
        "error",
    ),
    (
        "certification_events",
        _plant("certification_events", 0),
        "customs_code_event_type_event_date_unique",
        "unique_key",
        "customs_code",
        "3101234567|applied|2024-01-05",
        "error",
    ),
]


@pytest.mark.parametrize(
    ("kind", "rows", "expectation", "rule", "column", "value", "severity"),
    DEFECTS,
    ids=[d[2] for d in DEFECTS],
)
def test_planted_defect_fails_exactly_its_expectation(
    con, kind, rows, expectation, rule, column, value, severity
):
    findings = run(con, kind, rows)
    bad = failed(findings)
    assert list(bad) == [expectation]
    f = bad[expectation]
    assert (f.unexpected_count, f.first_row, f.first_value) == (1, 3, value)
    assert (f.rule, f.column, f.severity) == (rule, column, severity)
    assert (errors(findings) == [f]) == (severity == "error")
    assert (warnings(findings) == [f]) == (severity == "warning")


def test_counts_every_failing_row_and_reports_the_first_by_source_row(con):
    rows = clean_rows("declarations")
    extra = []
    for i, code in enumerate(["bad-1", "3101234567", "bad-2", "bad-3"]):
        extra.append({**rows[0], "entry_id": f"2201202610000001{i:02d}", "declarant_code": code})
    # Inserted out of order: bad-1 is source_row 9, bad-2 is 7, bad-3 is 5.
    findings = run(con, "declarations", rows + extra, source_rows=[1, 2, 9, 4, 7, 5])
    f = failed(findings)["declarant_code_matches_pattern"]
    assert (f.unexpected_count, f.first_row, f.first_value) == (3, 5, "bad-3")
    assert list(failed(findings)) == ["declarant_code_matches_pattern"]


def test_repeated_keys_count_the_repeats_not_the_first_occurrence(con):
    rows = clean_rows("declarations")
    rows += [rows[0], rows[0], rows[1]]  # source_rows 3, 4, 5
    f = failed(run(con, "declarations", rows))["entry_id_unique"]
    assert (f.unexpected_count, f.first_row, f.first_value) == (3, 3, "220120261000000001")


def test_digit_9_other_than_0_or_1_is_an_ie_flag_mismatch(con):
    rows = _plant("declarations", 0, entry_id="220120265000000003")
    f = failed(run(con, "declarations", rows))["ie_flag_matches_entry_id"]
    assert (f.unexpected_count, f.first_row) == (1, 3)


def test_empty_batch_fails_the_row_count_as_a_warning(con):
    findings = run(con, "filings", [])
    bad = failed(findings)
    assert list(bad) == ["table_row_count_at_least_1"]
    f = bad["table_row_count_at_least_1"]
    assert (f.unexpected_count, f.rule, f.severity) == (1, "row_count", "warning")


def test_pattern_quantifiers_survive_gx_query_formatting(con):
    # uscc matches [0-9A-Z]{18} (braces doubled for GX): 17 characters fail, 18 pass.
    rows = _plant("enterprises", 0, customs_code="3101234569", uscc="91310000MA123456'")
    f = failed(run(con, "enterprises", rows))["uscc_matches_pattern"]
    assert (f.unexpected_count, f.first_row, f.first_value) == (1, 3, "91310000MA123456'")


def test_validates_a_table_in_an_attached_in_memory_database(con):
    con.execute("ATTACH IF NOT EXISTS ':memory:' AS batch")
    rows = _plant("declarations", 0, **DECL_KEY, trade_mode="110")
    make_batch(con, "declarations", rows, table="batch.declarations")
    findings = validate_batch(con, "declarations", "batch.declarations", load_date=LOAD_DATE)
    bad = failed(findings)
    assert list(bad) == ["trade_mode_matches_pattern"]
    f = bad["trade_mode_matches_pattern"]
    assert (f.unexpected_count, f.first_row, f.first_value) == (1, 3, "110")


def test_sees_each_new_commit_and_leaves_the_writer_transaction_alone(con):
    table = make_batch(con, "declarations", clean_rows("declarations"), table="seq_batch")
    assert failed(validate_batch(con, "declarations", table, load_date=LOAD_DATE)) == {}

    con.execute("BEGIN")
    con.execute("CREATE TABLE uncommitted_marker (x INTEGER)")
    # The writer's open transaction is not ended by GX (a cursor is used, not `con`).
    assert failed(validate_batch(con, "declarations", table, load_date=LOAD_DATE)) == {}
    con.execute("ROLLBACK")
    assert con.sql(
        "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'uncommitted_marker'"
    ).fetchall() == [(0,)]

    con.execute(f"UPDATE {table} SET value_cny = -5 WHERE source_row = 2")
    f = failed(validate_batch(con, "declarations", table, load_date=LOAD_DATE))
    assert (f["value_cny_not_negative"].first_row, f["value_cny_not_negative"].first_value) == (
        2,
        "-5.00",
    )


def test_load_date_is_a_parameter_of_the_run(con):
    table = make_batch(con, "declarations", clean_rows("declarations"))
    earlier = validate_batch(con, "declarations", table, load_date=datetime.date(2026, 11, 26))
    f = failed(earlier)["declare_date_not_after_load_date"]
    assert (f.unexpected_count, f.first_row, f.first_value) == (1, 2, "2026-11-27")


def test_gx_failure_is_a_crash_not_a_verdict(con):
    con.execute("CREATE OR REPLACE TABLE no_lineage AS SELECT 'x' AS entry_id")
    with pytest.raises(QualityGateCrash, match="source_row"):
        validate_batch(con, "declarations", "no_lineage", load_date=LOAD_DATE)
    with pytest.raises(QualityGateCrash):
        validate_batch(con, "declarations", "main.does_not_exist", load_date=LOAD_DATE)


def test_rejects_a_table_name_that_is_not_one(con):
    with pytest.raises(ValueError, match="not a table name"):
        validate_batch(con, "declarations", "x; DROP TABLE y", load_date=LOAD_DATE)


def test_findings_go_into_ops_quality_results(con):
    findings = run(con, "declarations", _plant("declarations", 0, **DECL_KEY, ie_flag="X"))
    at = datetime.datetime(2026, 11, 27, 2, 0, tzinfo=datetime.UTC)
    rows = findings_to_rows("b-42", findings, at)
    con.execute("DELETE FROM ops.quality_results WHERE batch_id = 'b-42'")
    con.executemany("INSERT INTO ops.quality_results VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
    stored = con.sql(
        "SELECT expectation, success, unexpected_count, details FROM ops.quality_results "
        "WHERE batch_id = 'b-42' AND NOT success ORDER BY expectation"
    ).fetchall()
    # 'X' is outside {I, E} and also disagrees with digit 9 (1 => I).
    assert [r[:3] for r in stored] == [
        ("ie_flag_in_set", False, 1),
        ("ie_flag_matches_entry_id", False, 1),
    ]
    assert stored[0][3] == "[error] enum: ie_flag is one of I, E; first at row 3, value 'X'"
    total = con.sql("SELECT count(*) FROM ops.quality_results WHERE batch_id = 'b-42'").fetchall()
    assert total == [(len(build_suite("declarations", LOAD_DATE).checks),)]


def test_large_batch_in_attached_database_counts_exactly(con):
    """200k generated rows with defects planted at known rows: counts and first rows exact."""
    from expectations.gx_bench import make_declarations

    con.execute("ATTACH IF NOT EXISTS ':memory:' AS batch")
    make_declarations(con, "batch.big", 200_000)
    # 4 bad codes (rows 17, 50017, 100017, 150017), 2 repeated keys, 1 future date.
    con.execute(
        "UPDATE batch.big SET consignee_code = lower(consignee_code) WHERE source_row % 50000 = 17"
    )
    con.execute(
        "INSERT INTO batch.big SELECT * REPLACE (source_row + 1000000 AS source_row) "
        "FROM batch.big WHERE source_row IN (99999, 5)"
    )
    con.execute("UPDATE batch.big SET declare_date = DATE '2026-11-28' WHERE source_row = 123456")
    findings = validate_batch(con, "declarations", "batch.big", load_date=LOAD_DATE)
    got = {n: (f.unexpected_count, f.first_row) for n, f in failed(findings).items()}
    assert got == {
        "consignee_code_matches_pattern": (4, 17),
        "entry_id_unique": (2, 1000005),
        "declare_date_not_after_load_date": (1, 123456),
    }
    assert failed(findings)["consignee_code_matches_pattern"].first_value == "c000000016"


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_batch_scope_suite_keeps_batch_checks_and_leaves_columns_to_pandera(kind):
    from expectations.suites import build_suite

    full = {c.rule for c in build_suite(kind, datetime.date(2026, 1, 1)).checks}
    batch = {
        c.rule for c in build_suite(kind, datetime.date(2026, 1, 1), column_checks=False).checks
    }
    assert {"row_count", "unique_key"} <= batch
    assert not batch & {"required", "pattern", "enum", "min_value"}
    assert batch <= full
