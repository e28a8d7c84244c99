"""Settle an accepted batch in staging: its rows replace the rows of the same keys.

The batch's rows are already in staging.<kind> (warehouse/ingest_stage.py), in the caller's
transaction, which commits them with the ledger row: a batch lands whole or not at all. staging
keeps the latest version per key (a later batch replaces the row: corrections from the source
system); a replaced row moves to raw.<kind>_superseded, so the view raw.<kind> still holds every
version, and staging.<kind>_history shows them with their batch. Rows are written once.
"""

from __future__ import annotations

import duckdb

from warehouse import derived
from warehouse.contract import KINDS, Kind


def merge_batch(
    con: duckdb.DuckDBPyConnection, kind: Kind, batch: str, batch_id: str, *, earlier_rows: bool
) -> None:
    """`batch` is the relation of the batch's rows in staging; `earlier_rows` is whether staging
    held any row before them (when it did not, nothing can be replaced: no join is paid)."""
    match = " AND ".join(f"s.{c} = b.{c}" for c in kind.key)
    # The rows of other batches with a key of this one. Keys are unique within an accepted file
    # (the quality gate's unique_key check) and within staging before the batch.
    replaced = (
        f"SELECT s.* FROM staging.{kind.name} s WHERE s.batch_id <> $batch_id "
        f"AND EXISTS (SELECT 1 FROM {batch} b WHERE {match})"
        if earlier_rows
        else f"SELECT * FROM staging.{kind.name} LIMIT 0"
    )
    # Read once, for the derived aggregates, the superseded versions and the delete.
    params = {"batch_id": batch_id} if earlier_rows else {}
    con.execute(f"CREATE OR REPLACE TEMP TABLE replaced_rows AS {replaced}", params)
    if kind.name in derived.MAINTAINED_KINDS:
        # The rule engine's aggregates move with the rows (warehouse/derived.py), in this
        # transaction.
        derived.maintain(con, kind.name, batch, "replaced_rows", batch_id)
    if earlier_rows:
        con.execute(f"INSERT INTO raw.{kind.name}_superseded SELECT * FROM replaced_rows")
        con.execute(
            f"DELETE FROM staging.{kind.name} s USING replaced_rows r "
            "WHERE s.batch_id = r.batch_id AND s.source_row = r.source_row"
        )
    con.execute("DROP TABLE replaced_rows")


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
