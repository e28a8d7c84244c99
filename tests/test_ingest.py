"""Accepted files: formats, encodings, aliases, corrections, duplicates, atomicity, CLI, Prefect."""

from __future__ import annotations

import hashlib
import json
from datetime import date, datetime
from decimal import Decimal

import duckdb
import pytest

from tests.ingest_helpers import (
    CASES,
    CHANGES_HEADER,
    DECL_1,
    DECLARATIONS,
    DECLARATIONS_HEADER,
    ENTERPRISES,
    LOAD_DATE,
    csv_text,
    fingerprint,
    loaded_base,
    replaced,
    write_csv,
)
from warehouse.ingest import expand_paths, ingest_file, ingest_paths

OPS_COUNTS = (
    "SELECT (SELECT count(*) FROM ops.ingest_ledger), (SELECT count(*) FROM ops.ingest_warnings), "
    "(SELECT count(*) FROM ops.quality_results)"
)


def staging(con: duckdb.DuckDBPyConnection, sql: str) -> list[tuple]:
    return con.sql(sql).fetchall()


def test_clean_folder_loads_typed_rows_in_order(warehouse, settings, tmp_path):
    folder = tmp_path / "drop"
    write_csv(folder / "declarations.csv", DECLARATIONS)
    write_csv(folder / "enterprises.csv", ENTERPRISES)
    write_csv(folder / "_scenarios.csv", [["scenario"], ["x"]])  # generator side file: ignored
    write_csv(folder / "rejected" / "cases.csv", CASES)  # set aside earlier: ignored
    reports = ingest_paths(warehouse, settings, [folder], load_date=LOAD_DATE)

    assert [(r.file_name, r.status, r.rows, r.warnings) for r in reports] == [
        ("enterprises.csv", "accepted", 2, 0),
        ("declarations.csv", "accepted", 3, 0),
    ]
    rows = staging(
        warehouse,
        "SELECT entry_id, declare_date, ie_flag, doc_kind, value_cny, status, source_row "
        "FROM staging.declarations ORDER BY source_row",
    )
    assert rows == [
        ("220120241000000001", date(2024, 3, 1), "I", "entry", Decimal("1000.50"), "released", 1),
        ("220120240000000002", date(2024, 3, 2), "E", "entry", Decimal("20.00"), "accepted", 2),
        ("220120241000000003", date(2024, 4, 1), "I", "manifest", Decimal("0.00"), "cancelled", 3),
    ]
    assert staging(warehouse, "SELECT name, level_since FROM staging.enterprises ORDER BY 1") == [
        ("乙报关行", None),
        ("北京甲贸易有限公司", date(2024, 1, 1)),
    ]
    types = dict(
        staging(warehouse, "SELECT column_name, column_type FROM (DESCRIBE raw.declarations)")
    )
    assert types["entry_id"] == "VARCHAR" and types["value_cny"] == "DECIMAL(18,2)"
    path = folder / "declarations.csv"
    ledger = staging(
        warehouse,
        "SELECT sha256, size_bytes, rows, status, file_format, encoding, warnings, duration_s > 0 "
        "FROM ops.ingest_ledger WHERE file_name = 'declarations.csv'",
    )
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    assert ledger == [(digest, path.stat().st_size, 3, "accepted", "csv", "utf-8", 0, True)]
    raw = staging(warehouse, "SELECT DISTINCT batch_id FROM raw.declarations")
    assert raw == [(reports[1].batch_id,)]


def test_same_file_twice_changes_nothing(warehouse, settings, tmp_path):
    before = loaded_base(warehouse, settings, tmp_path)
    first_batch = staging(warehouse, "SELECT DISTINCT batch_id FROM raw.declarations")[0][0]
    ledger_rows = staging(warehouse, "SELECT count(*) FROM ops.ingest_ledger")
    copy = write_csv(tmp_path / "again" / "declarations-copy.csv", DECLARATIONS)
    report = ingest_file(warehouse, settings, copy, load_date=LOAD_DATE)
    assert report.status == "duplicate"
    assert report.batch_id == first_batch
    assert report.reason == f"already loaded as batch {first_batch}; nothing changed"
    assert fingerprint(warehouse) == before
    assert staging(warehouse, "SELECT count(*) FROM ops.ingest_ledger") == ledger_rows
    # the read that ran beside the hash left nothing behind
    assert staging(
        warehouse,
        "SELECT (SELECT count(*) FROM duckdb_tables() WHERE database_name = 'batch') "
        "+ (SELECT count(*) FROM duckdb_views() WHERE database_name = 'batch')",
    ) == [(0,)]


def test_later_file_corrects_staging_and_raw_keeps_both(warehouse, settings, tmp_path):
    loaded_base(warehouse, settings, tmp_path)
    fix = [
        DECLARATIONS_HEADER,
        replaced([DECLARATIONS_HEADER, DECL_1], 1, "value_cny", "999.99")[1],
    ]
    report = ingest_file(
        warehouse,
        settings,
        write_csv(tmp_path / "fix" / "declarations-fix.csv", fix),
        load_date=LOAD_DATE,
    )
    assert report.status == "accepted"
    assert staging(warehouse, "SELECT count(*) FROM staging.declarations") == [(3,)]
    assert staging(
        warehouse,
        f"SELECT value_cny, batch_id FROM staging.declarations WHERE entry_id = '{DECL_1[0]}'",
    ) == [(Decimal("999.99"), report.batch_id)]
    history = staging(
        warehouse,
        "SELECT value_cny, is_current, file_name FROM staging.declarations_history "
        f"WHERE entry_id = '{DECL_1[0]}' ORDER BY loaded_at",
    )
    assert history == [
        (Decimal("1000.50"), False, "declarations.csv"),
        (Decimal("999.99"), True, "declarations-fix.csv"),
    ]
    assert staging(warehouse, "SELECT count(*) FROM raw.declarations") == [(4,)]


def test_gbk_file_with_chinese_headers(warehouse, settings, tmp_path):
    header = ["海关编码", "统一社会信用代码", "企业名称", "企业类型", "信用等级", "认定日期"]
    path = write_csv(tmp_path / "enterprises_gbk.csv", [header, *ENTERPRISES[1:]], encoding="gbk")
    with pytest.raises(UnicodeDecodeError):
        path.read_bytes().decode("utf-8")
    report = ingest_file(warehouse, settings, path, load_date=LOAD_DATE)
    assert (report.status, report.rows) == ("accepted", 2), report.reason
    assert staging(warehouse, "SELECT customs_code, name FROM staging.enterprises ORDER BY 1") == [
        ("1100000001", "北京甲贸易有限公司"),
        ("11000000B2", "乙报关行"),
    ]
    assert staging(warehouse, "SELECT encoding FROM ops.ingest_ledger") == [("gb18030",)]


def test_gbk_detected_after_an_ascii_head(warehouse, settings, tmp_path, monkeypatch):
    # The first bytes decide the encoding; a GBK file whose head is ASCII is caught when DuckDB
    # meets the first non-UTF-8 byte, and transcoded then.
    import warehouse.readers as readers

    monkeypatch.setattr(readers, "SNIFF_BYTES", 120)
    path = write_csv(tmp_path / "enterprises.csv", ENTERPRISES, encoding="gb18030")
    report = ingest_file(warehouse, settings, path, load_date=LOAD_DATE)
    assert report.status == "accepted", report.reason
    names = staging(warehouse, "SELECT name FROM staging.enterprises ORDER BY 1")
    assert names == [("乙报关行",), ("北京甲贸易有限公司",)]
    assert staging(warehouse, "SELECT encoding FROM ops.ingest_ledger") == [("gb18030",)]


def test_utf8_bom_and_loose_header_names(warehouse, settings, tmp_path):
    header = [
        " Entry_ID ",
        "CONSIGNEE_CODE",
        "申报单位",
        "declare_date",
        "ie_flag",
        "customs_district",
        "trade_mode",
        "value_cny",
        "Status",
    ]
    rows = [header] + [[r[i] for i in (0, 1, 2, 3, 4, 5, 6, 8, 9)] for r in DECLARATIONS[1:]]
    path = tmp_path / "declarations.csv"
    path.write_bytes(b"\xef\xbb\xbf" + csv_text(rows).encode("utf-8"))
    report = ingest_file(warehouse, settings, path, load_date=LOAD_DATE)
    assert (report.status, report.rows, report.warnings) == ("accepted", 3, 0), report.reason
    # doc_kind is optional and missing: its default applies.
    assert staging(warehouse, "SELECT DISTINCT doc_kind FROM staging.declarations") == [("entry",)]
    assert staging(warehouse, "SELECT encoding FROM ops.ingest_ledger") == [("utf-8-sig",)]


def test_excel_file(warehouse, settings, tmp_path):
    import xlsxwriter

    path = tmp_path / "cases.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("案件")
    as_date = book.add_format({"num_format": "yyyy-mm-dd"})
    sheet.write_row(0, 0, CASES[0])
    sheet.write_row(1, 0, ["C-1", "1100000001", "tax_violation", "decided"])
    sheet.write_datetime(1, 4, datetime(2024, 2, 1), as_date)
    sheet.write_string(1, 5, "2024/03/01")
    sheet.write_string(1, 8, "fine")
    sheet.write_number(1, 9, 5000.5)
    sheet.write_boolean(1, 10, True)
    # Row 3 of the sheet is left blank; data row 3 is still counted as row 3.
    sheet.write_row(3, 0, ["C-2", "11000000B2", "smuggling_act", "investigating", "20240501"])
    book.close()
    report = ingest_file(warehouse, settings, path, load_date=LOAD_DATE)
    assert (report.status, report.rows) == ("accepted", 2), report.reason
    assert staging(
        warehouse,
        "SELECT case_id, opened_date, decided_date, fine_cny, voluntary_disclosure, intentional, "
        "source_row FROM staging.cases ORDER BY 1",
    ) == [
        ("C-1", date(2024, 2, 1), date(2024, 3, 1), Decimal("5000.50"), True, "unknown", 1),
        ("C-2", date(2024, 5, 1), None, None, False, "unknown", 3),
    ]


@pytest.mark.parametrize("uscc", [914200000000000033, 914200000000000033.0])
def test_excel_code_typed_as_a_long_number_is_refused_not_rounded(
    warehouse, settings, tmp_path, uscc
):
    # Excel keeps 15 significant digits: the cell no longer holds the code that was typed
    import xlsxwriter

    path = tmp_path / "enterprises.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet()
    sheet.write_row(0, 0, ENTERPRISES[0][:5])
    sheet.write_row(1, 0, ["1100000001"])
    sheet.write_number(1, 1, uscc)
    sheet.write_row(1, 2, ["甲公司", "importer_exporter", "regular"])
    book.close()
    report = ingest_file(warehouse, settings, path, load_date=LOAD_DATE)
    assert report.status == "rejected", report.line()
    f = next(f for f in report.findings if f.severity == "error")
    assert (f.rule, f.row, f.column, f.value) == ("pattern", 1, "uscc", "9.142e+17")


def test_parquet_file(warehouse, settings, tmp_path):
    path = tmp_path / "liabilities-part1.parquet"
    duckdb.sql(
        "SELECT * FROM (VALUES "
        "('L1', '1100000001', 'duty', 120.5::DECIMAL(18,2), DATE '2024-06-30', NULL::DATE), "
        "('L2', '1100000001', 'FINE', 3000::DECIMAL(18,2), DATE '2024-07-31', DATE '2024-07-01')) "
        "AS t(liability_id, customs_code, kind, amount_cny, due_date, paid_date)"
    ).to_parquet(str(path))
    report = ingest_file(warehouse, settings, path, load_date=LOAD_DATE)
    assert (report.status, report.rows) == ("accepted", 2), report.reason
    assert staging(
        warehouse,
        "SELECT liability_id, kind, amount_cny, paid_date, source_row "
        "FROM staging.liabilities ORDER BY 1",
    ) == [
        ("L1", "duty", Decimal("120.50"), None, 1),
        ("L2", "fine", Decimal("3000.00"), date(2024, 7, 1), 2),
    ]
    assert staging(warehouse, "SELECT file_format, encoding FROM ops.ingest_ledger") == [
        ("parquet", None)
    ]


def test_extra_columns_are_ignored_with_a_warning(warehouse, settings, tmp_path):
    rows = [[*r, "x"] for r in ENTERPRISES]
    rows[0][-1] = "remark"
    report = ingest_file(
        warehouse, settings, write_csv(tmp_path / "enterprises.csv", rows), load_date=LOAD_DATE
    )
    assert (report.status, report.warnings) == ("accepted", 1)
    assert staging(warehouse, "SELECT rule, column_name, row_number FROM ops.ingest_warnings") == [
        ("extra_column", "remark", None)
    ]


def test_alternative_spellings_match_iso(warehouse, settings, tmp_path):
    """Dates as YYYYMMDD or YYYY/MM/DD, booleans as 是/否/Y/N/1/0, enums in any case and padded."""
    rows = [
        CASES[0],
        [
            "C-1",
            "1100000001",
            "Tax_Violation",
            " decided ",
            "20240201",
            "2024/03/01",
            "",
            "",
            "FINE",
            "5000",
            "否",
            "No",
        ],
        [
            "C-2",
            "1100000001",
            "smuggling_act",
            "closed",
            "2024-02-01",
            "2024-03-01",
            "20240401",
            "",
            "none",
            "",
            "Y",
            "",
        ],
        [
            "C-3",
            "1100000001",
            "smuggling_act",
            "closed",
            "2024-02-01",
            "2024-03-01",
            "",
            "",
            "none",
            "",
            "1",
            "",
        ],
    ]
    report = ingest_file(
        warehouse, settings, write_csv(tmp_path / "cases.csv", rows), load_date=LOAD_DATE
    )
    assert report.status == "accepted", report.reason
    assert staging(
        warehouse,
        "SELECT case_id, case_type, status, opened_date, decided_date, closed_date, penalty_kind, "
        "voluntary_disclosure, intentional FROM staging.cases ORDER BY 1",
    ) == [
        (
            "C-1",
            "tax_violation",
            "decided",
            date(2024, 2, 1),
            date(2024, 3, 1),
            None,
            "fine",
            False,
            "no",
        ),
        (
            "C-2",
            "smuggling_act",
            "closed",
            date(2024, 2, 1),
            date(2024, 3, 1),
            date(2024, 4, 1),
            "none",
            True,
            "unknown",
        ),
        (
            "C-3",
            "smuggling_act",
            "closed",
            date(2024, 2, 1),
            date(2024, 3, 1),
            None,
            "none",
            True,
            "unknown",
        ),
    ]


def test_bad_optional_values_load_with_warnings(warehouse, settings, tmp_path):
    rows = replaced(ENTERPRISES, 1, "level_since", "soon")
    report = ingest_file(
        warehouse, settings, write_csv(tmp_path / "enterprises.csv", rows), load_date=LOAD_DATE
    )
    assert (report.status, report.warnings) == ("accepted", 1), report.reason
    assert staging(
        warehouse, "SELECT count(*) FROM staging.enterprises WHERE level_since IS NULL"
    ) == [(2,)]
    rows = replaced(DECLARATIONS, 2, "doc_kind", "telegram")
    report = ingest_file(
        warehouse, settings, write_csv(tmp_path / "declarations.csv", rows), load_date=LOAD_DATE
    )
    assert (report.status, report.warnings) == ("accepted", 1), report.reason
    assert staging(warehouse, "SELECT doc_kind FROM staging.declarations WHERE source_row = 2") == [
        ("entry",)
    ]
    assert staging(
        warehouse,
        "SELECT rule, row_number, column_name, value FROM ops.ingest_warnings ORDER BY rule",
    ) == [("date_format", 1, "level_since", "soon"), ("enum", 2, "doc_kind", "telegram")]
    # the message says what the row now counts as (a document of kind entry, for D3/D4)
    assert staging(warehouse, "SELECT message FROM ops.ingest_warnings ORDER BY rule") == [
        ("level_since: not a date (expected YYYY-MM-DD, YYYY/MM/DD or YYYYMMDD); loaded as empty",),
        ("doc_kind: not an allowed value; loaded as the default 'entry'",),
    ]


def test_orphan_changes_load_with_a_warning_per_row(warehouse, settings, tmp_path):
    loaded_base(warehouse, settings, tmp_path)
    rows = [
        CHANGES_HEADER,
        ["CH1", DECL_1[0], "modify", "enterprise", "R01", "2024-03-05", "是", "-12.50"],
        ["CH2", "220120249999999999", "cancel", "customs", "R02", "2024-03-05", "否", ""],
        ["CH3", "220120248888888888", "cancel", "customs", "R02", "2024-03-06", "0", ""],
    ]
    path = write_csv(tmp_path / "declaration_changes.csv", rows)
    report = ingest_file(warehouse, settings, path, load_date=LOAD_DATE)
    assert (report.status, report.rows, report.warnings) == ("accepted", 3, 2), report.reason
    assert staging(
        warehouse,
        "SELECT row_number, value, rule FROM ops.ingest_warnings "
        f"WHERE batch_id = '{report.batch_id}' ORDER BY 1",
    ) == [(2, "220120249999999999", "orphan_change"), (3, "220120248888888888", "orphan_change")]
    assert staging(
        warehouse, "SELECT tax_impact_cny FROM staging.declaration_changes WHERE change_id = 'CH1'"
    ) == [(Decimal("-12.50"),)]


def test_declaration_arriving_after_its_too_early_change_warns(warehouse, settings, tmp_path):
    loaded_base(warehouse, settings, tmp_path)
    orphan = "220120241000000009"
    rows = [CHANGES_HEADER, ["CH9", orphan, "modify", "enterprise", "R01", "2024-03-05", "是", ""]]
    path = write_csv(tmp_path / "declaration_changes.csv", rows)
    assert ingest_file(warehouse, settings, path, load_date=LOAD_DATE).warnings == 1  # orphan
    late = [DECLARATIONS[0], [orphan, *DECL_1[1:3], "2024-04-01", *DECL_1[4:]]]
    path = write_csv(tmp_path / "declarations_late.csv", late)
    report = ingest_file(warehouse, settings, path, load_date=LOAD_DATE)
    assert (report.status, report.warnings) == ("accepted", 1), report.line()
    f = next(f for f in report.findings if f.severity == "warning")
    assert (f.rule, f.row, f.column, f.value) == (
        "requested_before_declared",
        1,
        "declare_date",
        "2024-04-01",
    )
    assert "CH9" in f.message


def test_records_of_an_unknown_enterprise_load_with_a_warning(warehouse, settings, tmp_path):
    loaded_base(warehouse, settings, tmp_path)
    rows = [
        ["liability_id", "customs_code", "kind", "amount_cny", "due_date", "paid_date"],
        ["L1", "1100000001", "vat", "100.00", "2025-01-31", ""],
        ["L2", "4299999999", "fine", "200.00", "2025-02-28", ""],
        ["L3", "4299999999", "fine", "300.00", "2025-03-31", ""],
    ]
    report = ingest_file(
        warehouse, settings, write_csv(tmp_path / "liabilities.csv", rows), load_date=LOAD_DATE
    )
    # one finding for the two rows (warnings counts rows)
    assert (report.status, report.rows, report.warnings) == ("accepted", 3, 2), report.reason
    f = next(f for f in report.findings if f.severity == "warning")
    assert (f.rule, f.row, f.column, f.value, f.count) == (
        "unknown_enterprise",
        2,
        "customs_code",
        "4299999999",
        2,
    )


def test_every_kind_said_to_be_owned_by_an_enterprise_has_its_customs_code():
    from warehouse.contract import KINDS
    from warehouse.ingest_checks import OWNED_BY_AN_ENTERPRISE

    for name in OWNED_BY_AN_ENTERPRISE:
        assert "customs_code" in KINDS[name].column_names, name


def test_crash_inside_the_transaction_leaves_the_warehouse_as_it_was(warehouse, settings, tmp_path):
    before = loaded_base(warehouse, settings, tmp_path)
    ops_before = staging(
        warehouse,
        OPS_COUNTS,
    )
    rows = [[*r, "x"] for r in CASES]  # an extra column: a warning row would be written too
    rows[0][-1] = "remark"
    path = write_csv(tmp_path / "crash" / "cases.csv", rows)

    def crash(con: duckdb.DuckDBPyConnection) -> None:
        # The raw rows, the staging merge and the ledger row are written but not committed.
        assert con.sql("SELECT count(*) FROM raw.cases").fetchall() == [(2,)]
        raise RuntimeError("power cut")

    with pytest.raises(RuntimeError, match="power cut"):
        ingest_file(warehouse, settings, path, load_date=LOAD_DATE, before_commit=crash)
    assert fingerprint(warehouse) == before
    assert (
        staging(
            warehouse,
            OPS_COUNTS,
        )
        == ops_before
    )
    assert path.exists()
    # Nothing was left half-done: the same file loads cleanly afterwards.
    report = ingest_file(warehouse, settings, path, load_date=LOAD_DATE)
    assert (report.status, report.rows) == ("accepted", 2)


def test_rejected_file_moves_from_landing_with_reason(warehouse, settings):
    path = write_csv(
        settings.landing / "cases.csv", replaced(CASES, 1, "decided_date", "2024-01-01")
    )
    report = ingest_file(warehouse, settings, path, load_date=LOAD_DATE)
    assert report.status == "rejected"
    moved = settings.landing / "rejected" / "cases.csv"
    assert not path.exists() and moved.exists()
    assert report.moved_to == str(moved.resolve())
    doc = json.loads(
        (settings.landing / "rejected" / "cases.csv.reason.json").read_text(encoding="utf-8")
    )
    assert {k: doc[k] for k in ("file", "row", "column", "value", "rule")} == {
        "file": "cases.csv",
        "row": 1,
        "column": "decided_date",
        "value": "2024-01-01",
        "rule": "decided_before_opened",
    }
    assert doc["message"] == "decided_date is before opened_date 2024-02-01"
    assert doc["findings"][0]["rule"] == "decided_before_opened"
    assert staging(
        warehouse, "SELECT rule, row_number, column_name, value FROM ops.rejections"
    ) == [("decided_before_opened", 1, "decided_date", "2024-01-01")]
    # The landing folder is walked without the rejected/ folder.
    assert expand_paths([settings.landing]) == []


def test_expand_paths_order_and_skips(tmp_path):
    for name in [
        "cases.csv",
        "declarations-part2.csv",
        "declarations-part1.csv",
        "zzz.csv",
        "enterprises.xlsx",
        "declaration_changes.csv",
        ".hidden.csv",
        "_scenarios.csv",
        "cases.csv.reason.json",
    ]:
        (tmp_path / name).write_text("x")
    (tmp_path / "rejected").mkdir()
    (tmp_path / "rejected" / "enterprises.csv").write_text("x")
    names = [p.name for p in expand_paths([tmp_path])]
    assert names == [
        "enterprises.xlsx",
        "declarations-part1.csv",
        "declarations-part2.csv",
        "declaration_changes.csv",
        "cases.csv",
        "zzz.csv",
    ]


def test_cli_exit_code_and_one_line_reason(settings, tmp_path, capsys):
    from flows.cli import main

    good = write_csv(tmp_path / "in" / "enterprises.csv", ENTERPRISES)
    bad = write_csv(tmp_path / "in" / "cases.csv", replaced(CASES, 1, "decided_date", "2024-01-01"))
    code = main(
        ["--warehouse", str(settings.warehouse), "ingest", "--no-prefect", str(good), str(bad)]
    )
    out = capsys.readouterr().out.splitlines()
    assert code == 1
    assert out[0].startswith("accepted enterprises.csv: 2 rows, 0 warnings")
    assert out[1] == (
        "rejected cases.csv: row 1, column decided_date, value '2024-01-01': decided_before_opened "
        "(decided_date is before opened_date 2024-02-01)"
    )
    assert out[-1] == "2 files: 1 accepted, 1 rejected, 0 duplicate; 0 warnings"

    assert main(["--warehouse", str(settings.warehouse), "ingest", "--no-prefect", str(good)]) == 0
    assert capsys.readouterr().out.startswith("duplicate enterprises.csv: already loaded as batch")

    assert main(["--warehouse", str(settings.warehouse), "status"]) == 0
    status = capsys.readouterr().out
    assert "batches: 1 accepted (2 rows), 1 rejected" in status
    assert "enterprises                         2              2        1" in status
    assert "last ingest run: succeeded" in status


def test_status_without_a_warehouse(settings, capsys):
    from warehouse.status import print_status

    assert print_status(settings) == 1
    assert "no warehouse yet" in capsys.readouterr().out


@pytest.mark.prefect
def test_prefect_flow_ingests_one_task_per_file(prefect_harness, settings, tmp_path, capsys):
    from flows.ingest_flow import ingest_cli

    folder = tmp_path / "drop"
    write_csv(folder / "enterprises.csv", ENTERPRISES)
    write_csv(folder / "declarations.csv", DECLARATIONS)
    assert ingest_cli(settings, [folder], use_prefect=True) == 0
    out = capsys.readouterr().out
    assert "accepted enterprises.csv: 2 rows" in out and "accepted declarations.csv: 3 rows" in out
    con = duckdb.connect(str(settings.warehouse), read_only=True)
    try:
        assert con.sql("SELECT count(*) FROM staging.declarations").fetchall() == [(3,)]
        runs = con.sql("SELECT flow, status, details FROM ops.runs").fetchall()
    finally:
        con.close()
    assert [(f, s) for f, s, _ in runs] == [("ingest", "succeeded")]
    assert json.loads(runs[0][2])["accepted"] == 2

    from prefect.client.orchestration import get_client

    async def task_names() -> list[str]:
        async with get_client() as client:
            runs = await client.read_task_runs()
            return sorted(r.name for r in runs)

    import asyncio

    names = asyncio.run(task_names())
    assert "ingest declarations.csv" in names and "ingest enterprises.csv" in names
