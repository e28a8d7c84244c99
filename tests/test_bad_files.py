"""Bad files are rejected whole, with the rule (and row/column/value) that broke, and the
warehouse does not change. One warehouse (enterprises + declarations loaded) serves the module:
a rejection that changed it would show in the next fingerprint too."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.ingest_helpers import (
    CASE_1,
    CASES,
    CHANGES_HEADER,
    DECLARATIONS,
    ENTERPRISES,
    LOAD_DATE,
    fingerprint,
    loaded_base,
    replaced,
    write_csv,
)
from warehouse.ingest import ingest_file
from warehouse.settings import Settings


@pytest.fixture(scope="module")
def wh(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple]:
    from warehouse.connection import connect

    base = tmp_path_factory.mktemp("bad")
    settings = Settings(
        warehouse=base / "wh" / "credit.duckdb",
        landing=base / "wh" / "landing",
        serving=base / "wh" / "serving",
        memory_limit="1GB",
        threads=2,
    )
    con = connect(settings)
    loaded_base(con, settings, base)
    yield con, settings, base
    con.close()


def rejected(wh: tuple, path: Path):
    """Ingest `path`, assert it was rejected and nothing changed; return the report."""
    con, settings, _ = wh
    before = fingerprint(con)
    report = ingest_file(con, settings, path, load_date=LOAD_DATE)
    assert report.status == "rejected", report.line()
    assert fingerprint(con) == before
    ledger = con.execute(
        "SELECT status, reason FROM ops.ingest_ledger WHERE batch_id = ?", [report.batch_id]
    ).fetchall()
    assert ledger == [("rejected", report.reason)]
    n = con.execute(
        "SELECT count(*) FROM ops.rejections WHERE batch_id = ?", [report.batch_id]
    ).fetchall()[0][0]
    assert n >= 1
    assert "\n" not in report.reason
    return report


def first(report):
    return next(f for f in report.findings if f.severity == "error")


def test_missing_required_column(wh):
    rows = [[c for i, c in enumerate(r) if i != 1] for r in DECLARATIONS]  # no consignee_code
    report = rejected(wh, write_csv(wh[2] / "f1" / "declarations.csv", rows))
    f = first(report)
    assert (f.rule, f.column, f.row) == ("missing_column", "consignee_code", None)


def test_bad_date_reports_row_column_value(wh):
    rows = replaced(DECLARATIONS, 2, "declare_date", "2024-13-45")
    report = rejected(wh, write_csv(wh[2] / "f2" / "declarations.csv", rows))
    f = first(report)
    assert (f.rule, f.row, f.column, f.value) == ("date_format", 2, "declare_date", "2024-13-45")
    assert report.reason.startswith("row 2, column declare_date, value '2024-13-45': date_format")


def test_non_numeric_money_and_bad_boolean(wh):
    rows = replaced(DECLARATIONS, 3, "value_cny", "12,5")
    f = first(rejected(wh, write_csv(wh[2] / "f3" / "declarations.csv", rows)))
    assert (f.rule, f.row, f.column, f.value) == ("money_format", 3, "value_cny", "12,5")

    rows = replaced(DECLARATIONS, 1, "value_cny", "10.005")
    f = first(rejected(wh, write_csv(wh[2] / "f3b" / "declarations.csv", rows)))
    assert (f.rule, f.row, f.value) == ("money_decimals", 1, "10.005")

    rows = [
        CHANGES_HEADER,
        ["CH1", "220120241000000001", "modify", "enterprise", "R1", "2024-05-01", "maybe", ""],
    ]
    f = first(rejected(wh, write_csv(wh[2] / "f3c" / "declaration_changes.csv", rows)))
    assert (f.rule, f.row, f.column, f.value) == ("bool_format", 1, "error_recorded", "maybe")


@pytest.mark.parametrize("year", ["2024.5", "2.024e3", "2024x"])
def test_fiscal_year_that_is_not_a_whole_number(wh, year):
    # the CSV reader's INTEGER cast rounded 2024.5 to 2025, which replaced that year's row
    rows = [
        ["customs_code", "fiscal_year", "total_assets", "total_liabilities"],
        ["1100000001", "2023", "1000000", "400000"],
        ["1100000001", year, "500", "0"],
    ]
    f = first(rejected(wh, write_csv(wh[2] / f"f3d{year}" / "financials.csv", rows)))
    assert (f.rule, f.row, f.column, f.value) == ("int_format", 2, "fiscal_year", year)


def test_uscc_already_of_another_enterprise(wh):
    # unique across the warehouse, not only within the file
    rows = [
        ENTERPRISES[0],
        ["1100000009", "91110000MA00000002", "丙公司", "importer_exporter", "regular", ""],
    ]
    f = first(rejected(wh, write_csv(wh[2] / "f3e" / "enterprises.csv", rows)))
    assert (f.rule, f.row, f.column, f.value) == ("unique", 1, "uscc", "91110000MA00000002")
    assert "already belongs to 11000000B2" in f.message


def test_uscc_may_move_between_enterprises_corrected_together(wh):
    con, settings, _ = wh
    swapped = [ENTERPRISES[0], list(ENTERPRISES[1]), list(ENTERPRISES[2])]
    swapped[1][1], swapped[2][1] = ENTERPRISES[2][1], ENTERPRISES[1][1]
    path = write_csv(wh[2] / "f3f" / "enterprises.csv", swapped)
    report = ingest_file(con, settings, path, load_date=LOAD_DATE)
    assert report.status == "accepted", report.line()
    pairs = con.sql("SELECT customs_code, uscc FROM staging.enterprises ORDER BY 1").fetchall()
    assert pairs == [("1100000001", "91110000MA00000002"), ("11000000B2", "91110000MA00000001")]
    # back as they were (rows in another order: the same bytes would be a duplicate)
    path = write_csv(wh[2] / "f3g" / "enterprises.csv", [ENTERPRISES[0], *ENTERPRISES[:0:-1]])
    assert ingest_file(con, settings, path, load_date=LOAD_DATE).status == "accepted"


def test_loaded_bytes_under_another_kinds_name_are_checked_as_that_kind(wh):
    # the enterprises file the module loaded, saved as cases: not a duplicate, and no case columns
    path = write_csv(wh[2] / "f3h" / "cases_from_the_wrong_export.csv", ENTERPRISES)
    f = first(rejected(wh, path))
    assert (f.rule, f.column) == ("missing_column", "case_id")


def test_wrong_code_length(wh):
    rows = replaced(DECLARATIONS, 2, "consignee_code", "110000001")  # 9 characters
    f = first(rejected(wh, write_csv(wh[2] / "f4" / "declarations.csv", rows)))
    assert (f.rule, f.row, f.column, f.value) == ("pattern", 2, "consignee_code", "110000001")
    assert "10 digits or capital letters" in f.message


def test_duplicate_key_in_one_file(wh):
    rows = [*DECLARATIONS, list(DECLARATIONS[1])]  # row 4 repeats row 1's entry_id
    f = first(rejected(wh, write_csv(wh[2] / "f5" / "declarations.csv", rows)))
    assert (f.rule, f.row, f.column, f.value) == ("unique_key", 4, "entry_id", DECLARATIONS[1][0])


def test_negative_money(wh):
    rows = replaced(DECLARATIONS, 1, "value_cny", "-5.00")
    f = first(rejected(wh, write_csv(wh[2] / "f6" / "declarations.csv", rows)))
    assert (f.rule, f.row, f.column, f.value) == ("min_value", 1, "value_cny", "-5.00")


def test_unknown_enum_value(wh):
    rows = replaced(DECLARATIONS, 3, "status", "Shipped")
    f = first(rejected(wh, write_csv(wh[2] / "f7" / "declarations.csv", rows)))
    # Enum values are trimmed and lower-cased before the check.
    assert (f.rule, f.row, f.column, f.value) == ("enum", 3, "status", "shipped")


def test_ie_flag_contradicting_entry_id(wh):
    rows = replaced(DECLARATIONS, 1, "ie_flag", "E")  # digit 9 of the entry id is 1: import
    f = first(rejected(wh, write_csv(wh[2] / "f8" / "declarations.csv", rows)))
    assert (f.rule, f.row, f.column, f.value) == ("ie_flag_mismatch", 1, "ie_flag", "E")
    assert "ie_flag must be I" in f.message


def test_empty_file(wh):
    path = wh[2] / "f9" / "declarations.csv"
    path.parent.mkdir()
    path.write_bytes(b"")
    assert first(rejected(wh, path)).rule == "empty_file"


def test_header_only_is_an_empty_batch_with_a_warning(wh):
    # an export with nothing new is not bad input: the contract rejects only what cannot be read,
    # lacks a required column or breaks a key or type rule
    con, settings, _ = wh
    before = fingerprint(con)
    path = write_csv(wh[2] / "f10" / "declarations.csv", DECLARATIONS[:1])
    report = ingest_file(con, settings, path, load_date=LOAD_DATE)
    assert (report.status, report.rows, report.warnings) == ("accepted", 0, 1), report.line()
    after = fingerprint(con)
    assert after == {**before, "ledger_accepted": before["ledger_accepted"] + 1}
    warned = con.execute(
        "SELECT rule FROM ops.ingest_warnings WHERE batch_id = ?", [report.batch_id]
    ).fetchall()
    assert warned == [("row_count",)]


def test_binary_garbage(wh):
    path = wh[2] / "f11" / "declarations.csv"
    path.parent.mkdir()
    path.write_bytes(bytes(range(256)) * 40)
    assert first(rejected(wh, path)).rule == "not_text"


def test_undecodable_text(wh):
    path = wh[2] / "f11b" / "declarations.csv"
    path.parent.mkdir()
    path.write_bytes(b"entry_id,\xff\xfe\xfa\n1,2\n")  # neither UTF-8 nor GB18030
    assert first(rejected(wh, path)).rule == "encoding"


def test_decided_before_opened(wh):
    rows = replaced(CASES, 1, "decided_date", "2024-01-01")
    report = rejected(wh, write_csv(wh[2] / "f12" / "cases.csv", rows))
    f = first(report)
    assert (f.rule, f.row, f.column, f.value) == (
        "decided_before_opened",
        1,
        "decided_date",
        "2024-01-01",
    )
    assert report.reason == (
        "row 1, column decided_date, value '2024-01-01': decided_before_opened "
        "(decided_date is before opened_date 2024-02-01)"
    )


def test_requested_before_declared_is_an_error(wh):
    # DECL_1 was declared 2024-03-01; a change requested before that is impossible.
    rows = [
        CHANGES_HEADER,
        ["CH1", "220120241000000001", "modify", "enterprise", "R1", "2024-02-01", "N", ""],
    ]
    f = first(rejected(wh, write_csv(wh[2] / "f13" / "declaration_changes.csv", rows)))
    assert (f.rule, f.row, f.column, f.value) == (
        "requested_before_declared",
        1,
        "requested_date",
        "2024-02-01",
    )


def test_unknown_kind_and_unsupported_type(wh):
    f = first(rejected(wh, write_csv(wh[2] / "f14" / "shipments.csv", DECLARATIONS[:2])))
    assert f.rule == "unknown_kind"
    path = wh[2] / "f14" / "declarations.json"
    path.write_text("{}")
    assert first(rejected(wh, path)).rule == "unsupported_format"


def test_required_value_missing(wh):
    rows = replaced(CASES, 1, "case_type", "")
    f = first(rejected(wh, write_csv(wh[2] / "f15" / "cases.csv", rows)))
    assert (f.rule, f.row, f.column) == ("required", 1, "case_type")


def test_conditionally_required(wh):
    rows = replaced(CASES, 1, "fine_cny", "")  # penalty_kind is fine
    f = first(rejected(wh, write_csv(wh[2] / "f16" / "cases.csv", rows)))
    assert (f.rule, f.row, f.column) == ("required_when_fine", 1, "fine_cny")


def test_malformed_csv_row(wh):
    path = wh[2] / "f17" / "cases.csv"
    path.parent.mkdir()
    text = ",".join(CASES[0]) + "\n" + ",".join(CASE_1) + ",extra,fields\n"
    path.write_text(text, encoding="utf-8")
    assert first(rejected(wh, path)).rule == "csv_format"


def test_reason_file_beside_a_file_outside_landing(wh):
    rows = replaced(DECLARATIONS, 2, "declare_date", "yesterday")
    path = write_csv(wh[2] / "f18" / "declarations.csv", rows)
    report = rejected(wh, path)
    assert path.exists()  # not under the landing folder: reported in place
    assert report.moved_to is None
    doc = json.loads(Path(report.reason_file).read_text(encoding="utf-8"))
    assert Path(report.reason_file) == path.with_name("declarations.csv.reason.json")
    assert (doc["row"], doc["column"], doc["value"], doc["rule"]) == (
        2,
        "declare_date",
        "yesterday",
        "date_format",
    )
    assert doc["findings"][0]["rule"] == "date_format"
