"""Warehouse DDL: ops tables from ddl/*.sql, raw and staging tables from the data contract."""

from __future__ import annotations

from pathlib import Path

import duckdb

from warehouse.contract import KINDS, Kind

DDL_DIR = Path(__file__).parent / "ddl"
MART_VIEWS_DIR = Path(__file__).parent / "views" / "marts"
LINEAGE_COLUMNS = "batch_id VARCHAR NOT NULL, source_row BIGINT NOT NULL"


def table_columns_sql(kind: Kind) -> str:
    return ", ".join(f"{c.name} {c.duckdb_type}" for c in kind.columns)


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create what is missing; never drops data (an old raw table is migrated, not lost)."""
    _drop_old_declaration_months(con)
    for ddl in sorted(DDL_DIR.glob("*.sql")):
        con.execute(ddl.read_text(encoding="utf-8"))
    for kind in KINDS.values():
        cols = table_columns_sql(kind)
        # staging: the current row per key (the latest accepted batch wins).
        con.execute(f"CREATE TABLE IF NOT EXISTS staging.{kind.name} ({cols}, {LINEAGE_COLUMNS})")
        # Versions replaced by a later batch, moved here when they are replaced (append-only).
        con.execute(
            f"CREATE TABLE IF NOT EXISTS raw.{kind.name}_superseded ({cols}, {LINEAGE_COLUMNS})"
        )
        _migrate_raw_table(con, kind)
        # raw: every accepted version of every row, by batch. A view, so that a batch's rows are
        # written once (into staging), not twice: at 10M rows the second copy cost ~40% of a load.
        con.execute(
            f"CREATE VIEW IF NOT EXISTS raw.{kind.name} AS "
            f"SELECT * FROM staging.{kind.name} UNION ALL "
            f"SELECT * FROM raw.{kind.name}_superseded"
        )
    _migrate_rule_results_table(con)
    # Views over the marts: replaced every time, so they follow the code.
    for view in sorted(MART_VIEWS_DIR.glob("*.sql")):
        con.execute(view.read_text(encoding="utf-8"))


def _migrate_raw_table(con: duckdb.DuckDBPyConnection, kind: Kind) -> None:
    """Warehouses from before raw became a view: keep the versions staging no longer holds."""
    found = con.execute(
        "SELECT table_type FROM information_schema.tables "
        "WHERE table_schema = 'raw' AND table_name = ?",
        [kind.name],
    ).fetchall()
    if not found or found[0][0] != "BASE TABLE":
        return
    con.execute(
        f"INSERT INTO raw.{kind.name}_superseded SELECT r.* FROM raw.{kind.name} r "
        f"ANTI JOIN staging.{kind.name} s USING (batch_id, source_row)"
    )
    con.execute(f"DROP TABLE raw.{kind.name}")


def _drop_old_declaration_months(con: duckdb.DuckDBPyConnection) -> None:
    """The shape with 31 day counts: dropped, so that the DDL makes the new one and the engine's
    in-step check rebuilds it from staging (derived.ensure_in_step)."""
    old = con.execute(
        "SELECT count(*) FROM information_schema.columns WHERE table_schema = 'derived' "
        "AND table_name = 'declaration_months' AND column_name = 'days'"
    ).fetchall()[0][0]
    if old:
        con.execute("DROP TABLE derived.declaration_months")


def _migrate_rule_results_table(con: duckdb.DuckDBPyConnection) -> None:
    """Warehouses from before rule_results became a view: their rendered rows are archived."""
    found = con.execute(
        "SELECT table_type FROM information_schema.tables "
        "WHERE table_schema = 'marts' AND table_name = 'rule_results'"
    ).fetchall()
    if not found or found[0][0] != "BASE TABLE":
        return
    con.execute("INSERT INTO marts.rule_results_archive BY NAME SELECT * FROM marts.rule_results")
    con.execute("DROP TABLE marts.rule_results")
