"""Warehouse DDL: ops tables from ddl/*.sql, raw and staging tables from the data contract."""

from __future__ import annotations

from pathlib import Path

import duckdb

from warehouse.contract import KINDS, Kind

DDL_DIR = Path(__file__).parent / "ddl"
LINEAGE_COLUMNS = "batch_id VARCHAR NOT NULL, source_row BIGINT NOT NULL"


def table_columns_sql(kind: Kind) -> str:
    return ", ".join(f"{c.name} {c.duckdb_type}" for c in kind.columns)


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create what is missing; never drops or rewrites existing data."""
    for ddl in sorted(DDL_DIR.glob("*.sql")):
        con.execute(ddl.read_text(encoding="utf-8"))
    for kind in KINDS.values():
        cols = table_columns_sql(kind)
        # raw: every accepted version of every row, append-only, by batch.
        con.execute(f"CREATE TABLE IF NOT EXISTS raw.{kind.name} ({cols}, {LINEAGE_COLUMNS})")
        # staging: the current row per key (the latest accepted batch wins).
        con.execute(f"CREATE TABLE IF NOT EXISTS staging.{kind.name} ({cols}, {LINEAGE_COLUMNS})")
