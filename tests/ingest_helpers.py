"""Tiny hand-written input files for the ingestion tests, and a warehouse fingerprint."""

from __future__ import annotations

import csv
import io
from datetime import date
from pathlib import Path

import duckdb

from warehouse.contract import KINDS

LOAD_DATE = date(2026, 6, 30)

ENTERPRISES = [
    ["customs_code", "uscc", "name", "enterprise_type", "recorded_level", "level_since"],
    [
        "1100000001",
        "91110000MA00000001",
        "北京甲贸易有限公司",
        "importer_exporter",
        "regular",
        "2024-01-01",
    ],
    ["11000000B2", "91110000MA00000002", "乙报关行", "customs_broker", "advanced", ""],
]

DECLARATIONS_HEADER = list(KINDS["declarations"].column_names)
# entry_id digit 9: 1 import (I), 0 export (E).
DECL_1 = [
    "220120241000000001",
    "1100000001",
    "1100000001",
    "2024-03-01",
    "I",
    "2201",
    "0110",
    "entry",
    "1000.50",
    "released",
]
DECL_2 = [
    "220120240000000002",
    "1100000001",
    "11000000B2",
    "2024-03-02",
    "E",
    "2201",
    "0615",
    "",
    "20.00",
    "accepted",
]
DECL_3 = [
    "220120241000000003",
    "11000000B2",
    "11000000B2",
    "2024-04-01",
    "I",
    "2202",
    "0110",
    "manifest",
    "0",
    "cancelled",
]
DECLARATIONS = [DECLARATIONS_HEADER, DECL_1, DECL_2, DECL_3]

CASES_HEADER = list(KINDS["cases"].column_names)
CASE_1 = [
    "C-2024-001",
    "1100000001",
    "tax_violation",
    "decided",
    "2024-02-01",
    "2024-03-01",
    "",
    "",
    "fine",
    "5000",
    "是",
    "no",
]
CASE_2 = [
    "C-2024-002",
    "1100000001",
    "smuggling_act",
    "investigating",
    "2024-05-01",
    "",
    "",
    "",
    "",
    "",
    "",
    "",
]
CASES = [CASES_HEADER, CASE_1, CASE_2]

CHANGES_HEADER = list(KINDS["declaration_changes"].column_names)


def csv_text(rows: list[list[str]]) -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    return buf.getvalue()


def write_csv(path: Path, rows: list[list[str]], encoding: str = "utf-8") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(csv_text(rows).encode(encoding))
    return path


def replaced(rows: list[list[str]], row: int, column: str, value: str) -> list[list[str]]:
    """A copy of `rows` with data row `row` (1-based) changed in `column`."""
    out = [list(r) for r in rows]
    out[row][out[0].index(column)] = value
    return out


def fingerprint(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Row counts of every raw and staging table plus the accepted batches in the ledger."""
    counts: dict[str, int] = {}
    for kind in KINDS:
        for schema in ("raw", "staging"):
            counts[f"{schema}.{kind}"] = con.sql(
                f"SELECT count(*) FROM {schema}.{kind}"
            ).fetchall()[0][0]
    counts["ledger_accepted"] = con.sql(
        "SELECT count(*) FROM ops.ingest_ledger WHERE status = 'accepted'"
    ).fetchall()[0][0]
    return counts


def loaded_base(con: duckdb.DuckDBPyConnection, settings, tmp_path: Path) -> dict[str, int]:
    """Load enterprises + declarations (so the warehouse is not empty) and fingerprint it."""
    from warehouse.ingest import ingest_paths

    src = tmp_path / "base"
    write_csv(src / "enterprises.csv", ENTERPRISES)
    write_csv(src / "declarations.csv", DECLARATIONS)
    reports = ingest_paths(con, settings, [src], load_date=LOAD_DATE)
    assert [r.status for r in reports] == ["accepted", "accepted"], [r.reason for r in reports]
    return fingerprint(con)
