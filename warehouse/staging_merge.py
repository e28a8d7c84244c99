"""Write an accepted batch: its rows replace their keys in staging.<kind>.

Runs inside the caller's transaction (with the ledger row), so a batch lands whole or not at all.
staging keeps the latest version per key (a later batch replaces the row: corrections from the
source system); a replaced row moves to raw.<kind>_superseded, so the view raw.<kind> still holds
every version, and staging.<kind>_history shows them with their batch. Rows are written once.
"""

from __future__ import annotations

import duckdb

from warehouse import derived
from warehouse.contract import KINDS, Kind


def merge_batch(con: duckdb.DuckDBPyConnection, kind: Kind, table: str, batch_id: str) -> None:
    cols = ", ".join(kind.column_names)
    match = " AND ".join(f"s.{c} = b.{c}" for c in kind.key)
    replaced = (
        f"(SELECT s.* FROM staging.{kind.name} s "
        f"WHERE EXISTS (SELECT 1 FROM {table} b WHERE {match}))"
    )
    if kind.name in derived.MAINTAINED_KINDS:
        # The rule engine's aggregates move with the rows (warehouse/derived.py), in this
        # transaction; the replaced rows are read once for them and for the history.
        con.execute(f"CREATE OR REPLACE TEMP TABLE replaced_rows AS {replaced}")
        derived.maintain(con, kind.name, table, "replaced_rows", batch_id)
        replaced = "replaced_rows"
    con.execute(f"INSERT INTO raw.{kind.name}_superseded SELECT * FROM {replaced}")
    con.execute(f"DELETE FROM staging.{kind.name} s USING {table} b WHERE {match}")
    # Keys are unique within an accepted file (the quality gate's unique_key check).
    con.execute(
        f"INSERT INTO staging.{kind.name} ({cols}, batch_id, source_row) "
        f"SELECT {cols}, $batch_id, source_row FROM {table}",
        {"batch_id": batch_id},
    )
    con.execute("DROP TABLE IF EXISTS replaced_rows")


def history_view_sql(kind: Kind) -> str:
    return (
        f"CREATE VIEW IF NOT EXISTS staging.{kind.name}_history AS "
        f"SELECT r.*, l.finished_at AS loaded_at, l.file_name, "
        f"s.batch_id IS NOT NULL AS is_current "
        f"FROM raw.{kind.name} r JOIN ops.ingest_ledger l USING (batch_id) "
        f"LEFT JOIN staging.{kind.name} s ON s.batch_id = r.batch_id "
        f"AND s.source_row = r.source_row"
    )


def ensure_history_views(con: duckdb.DuckDBPyConnection) -> None:
    """staging.<kind>_history: every loaded version of every row, with when and from which file."""
    for kind in KINDS.values():
        con.execute(history_view_sql(kind))
