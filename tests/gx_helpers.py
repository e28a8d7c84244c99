"""Small batch tables for the GX tests: contract-typed columns plus source_row and batch_id."""

from __future__ import annotations

import datetime
from typing import Any

import duckdb

from warehouse.contract import KINDS
from warehouse.schema import table_columns_sql

LOAD_DATE = datetime.date(2026, 11, 27)

# Two clean rows per kind; tests copy and edit them to plant one defect at a time.
CLEAN: dict[str, list[dict[str, Any]]] = {
    "enterprises": [
        dict(
            customs_code="3101234567",
            uscc="91310000MA1234567X",
            name="上海甲进出口有限公司",
            enterprise_type="importer_exporter",
            recorded_level="advanced",
            level_since="2024-03-01",
        ),
        dict(
            customs_code="31012B4568",
            uscc="91310000MA1234568Y",
            name="乙报关行",
            enterprise_type="customs_broker",
            recorded_level="regular",
            level_since=None,
        ),
    ],
    "declarations": [
        dict(
            entry_id="220120261000000001",
            consignee_code="3101234567",
            declarant_code="3101234567",
            declare_date="2026-11-20",
            ie_flag="I",
            customs_district="2201",
            trade_mode="0110",
            doc_kind="entry",
            value_cny="1000.50",
            status="released",
        ),
        dict(
            entry_id="220120260000000002",
            consignee_code="3101234567",
            declarant_code="31012B4568",
            declare_date="2026-11-27",
            ie_flag="E",
            customs_district="2201",
            trade_mode="0110",
            doc_kind="filing_list",
            value_cny="0.00",
            status="accepted",
        ),
    ],
    "declaration_changes": [
        dict(
            change_id="CH-1",
            entry_id="220120261000000001",
            change_type="modify",
            initiator="enterprise",
            reason_code="R01",
            requested_date="2026-11-21",
            error_recorded=True,
            tax_impact_cny="-12.30",
        ),
        dict(
            change_id="CH-2",
            entry_id="220120260000000002",
            change_type="cancel",
            initiator="customs",
            reason_code="R02",
            requested_date="2026-11-27",
            error_recorded=False,
            tax_impact_cny=None,
        ),
    ],
    "cases": [
        dict(
            case_id="K-1",
            customs_code="3101234567",
            case_type="supervision_violation",
            status="decided",
            opened_date="2025-01-10",
            decided_date="2025-03-01",
            closed_date="2025-04-01",
            judgment_effective_date=None,
            penalty_kind="fine",
            fine_cny="50000.00",
            voluntary_disclosure=False,
            intentional="no",
        ),
        dict(
            case_id="K-2",
            customs_code="31012B4568",
            case_type="smuggling_crime",
            status="investigating",
            opened_date="2026-02-01",
            decided_date=None,
            closed_date=None,
            judgment_effective_date="2026-06-01",
            penalty_kind=None,
            fine_cny=None,
            voluntary_disclosure=False,
            intentional="unknown",
        ),
    ],
    "liabilities": [
        dict(
            liability_id="L-1",
            customs_code="3101234567",
            kind="duty",
            amount_cny="10.00",
            due_date="2026-01-15",
            paid_date="2026-01-10",
        ),
        dict(
            liability_id="L-2",
            customs_code="3101234567",
            kind="late_fee",
            amount_cny="0.01",
            due_date="2026-02-15",
            paid_date=None,
        ),
    ],
    "certification_events": [
        dict(customs_code="3101234567", event_type="applied", event_date="2024-01-05"),
        dict(customs_code="3101234567", event_type="certified", event_date="2024-06-05"),
    ],
    "filings": [
        dict(
            filing_id="F-1",
            customs_code="3101234567",
            kind="annual_report",
            due_date="2026-06-30",
            filed_date="2026-06-01",
        ),
        dict(
            filing_id="F-2",
            customs_code="31012B4568",
            kind="change_filing",
            due_date="2026-07-31",
            filed_date=None,
        ),
    ],
    "control_assessments": [
        dict(
            customs_code="3101234567",
            item_code="IC-1.2",
            module="internal_control",
            department="management",
            result="meets",
            assessed_date="2026-05-01",
            evidence_ref="doc-7",
        ),
        dict(
            customs_code="3101234567",
            item_code="IC-1.2",
            module="internal_control",
            department="management",
            result="fails",
            assessed_date="2026-05-02",
            evidence_ref=None,
        ),
    ],
    "financials": [
        dict(
            customs_code="3101234567",
            fiscal_year=2025,
            total_assets="1000000.00",
            total_liabilities="0.00",
        ),
        dict(
            customs_code="3101234567",
            fiscal_year=2024,
            total_assets="0.01",
            total_liabilities="500.00",
        ),
    ],
}


def clean_rows(kind: str) -> list[dict[str, Any]]:
    return [dict(r) for r in CLEAN[kind]]


def make_batch(
    con: duckdb.DuckDBPyConnection,
    kind: str,
    rows: list[dict[str, Any]],
    table: str | None = None,
    source_rows: list[int] | None = None,
) -> str:
    """Create (or replace) `table` holding `rows`, committed; returns the table name."""
    k = KINDS[kind]
    table = table or f"batch_{kind}"
    con.execute(
        f"CREATE OR REPLACE TABLE {table} ({table_columns_sql(k)}, "
        "source_row BIGINT, batch_id VARCHAR)"
    )
    names = k.column_names
    placeholders = ", ".join("?" for _ in range(len(names) + 2))
    numbers = source_rows or list(range(1, len(rows) + 1))
    if rows:
        con.executemany(
            f"INSERT INTO {table} VALUES ({placeholders})",
            [[r.get(n) for n in names] + [numbers[i], "b-test"] for i, r in enumerate(rows)],
        )
    return table
