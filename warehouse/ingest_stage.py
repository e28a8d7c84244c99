"""Put one batch's rows into staging.<kind>, inside the writer's open transaction.

Validation then reads them there (the temp view `ingest_batch_<kind>`: contract columns and
source_row of this batch id), and the transaction commits them or rolls them back whole.

- A clean UTF-8 CSV (the fast path) goes straight from the file into staging: DuckDB's reader
  parses and types it, in parts side by side (warehouse/csv_parts.py), each part numbering its
  rows WITH ORDINALITY. The rows are written once: parsing them into a batch first and copying
  that cost ~3 s more at 10M rows. A surprise (a bad amount, a cast failure) aborts the
  statement: the caller rolls back and reads the file the other way.
- Everything else (text that needs the robust reading, GBK, Excel, Parquet, a big CSV that
  cannot be cut) is read into the in-memory batch first (warehouse/ingest_batch.py) and copied.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from warehouse.contract import Kind
from warehouse.csv_parts import Part, plan_parts, served
from warehouse.ingest_batch import LoadedBatch, is_unicode_error
from warehouse.ingest_types import Finding
from warehouse.readers import (
    HeaderMap,
    SourceFile,
    file_format,
    map_header,
    open_csv,
    sql_str,
)
from warehouse.readers_sql import fast_csv_types, fast_select_sql, read_csv_sql

# Two parts per thread: a part is one thread's work from start to end, and with more, smaller
# parts the threads finish closer together (10M rows on 2 threads: ~0.7 s faster than 2 parts).
PARTS_PER_THREAD = 2


def batch_view(kind: Kind) -> str:
    return f"ingest_batch_{kind.name}"


@dataclass
class DirectCsv:
    """A UTF-8 CSV that can go straight into staging: its header mapping and its parts."""

    kind: Kind
    src: SourceFile
    hm: HeaderMap
    parts: list[Part]
    warnings: list[Finding] = field(default_factory=list)


def plan_direct(kind: Kind, path: Path, temp_dir: Path, threads: int) -> DirectCsv | None:
    """The fast path's plan, or None for a file it does not take (not CSV, not UTF-8, big and
    not safely cut). Raises BatchRejected for an empty file or a bad header."""
    if file_format(path) != "csv" or path.stat().st_size == 0:
        return None
    src = open_csv(path, temp_dir)
    if src.csv_path != path:  # transcoded (GB18030): the in-memory path
        src.cleanup()
        return None
    hm, warnings = map_header(kind, src.header)
    parts = plan_parts(path, PARTS_PER_THREAD * max(1, threads))
    return None if parts is None else DirectCsv(kind, src, hm, parts, warnings)


class NotClean(Exception):
    """The fast read met something it does not handle; `unicode` if the text is not UTF-8."""

    def __init__(self, unicode: bool) -> None:
        super().__init__("not clean")
        self.unicode = unicode


def insert_direct(con: duckdb.DuckDBPyConnection, plan: DirectCsv, batch_id: str) -> LoadedBatch:
    """INSERT the file's rows into staging (the caller's transaction); NotClean on a surprise,
    after which the transaction is aborted and must be rolled back (also after BatchRejected:
    no data rows)."""
    started = time.perf_counter()
    kind, src = plan.kind, plan.src
    types = fast_csv_types(kind, plan.hm, len(src.header))
    with served(src.path, plan.parts) as paths:
        selects = [
            fast_select_sql(
                kind,
                plan.hm,
                read_csv_sql(p, types, header=part.start == 0),
                rows_before=part.rows_before,
            )
            for p, part in zip(paths, plan.parts, strict=True)
        ]
        try:
            rows = con.execute(
                f"INSERT INTO staging.{kind.name} ({', '.join(kind.column_names)}, source_row, "
                f"batch_id) SELECT *, $batch_id FROM ({' UNION ALL '.join(selects)})",
                {"batch_id": batch_id},
            ).fetchall()[0][0]
        except duckdb.InterruptException:
            raise
        except duckdb.Error as exc:
            raise NotClean(is_unicode_error(exc)) from exc
    _create_view(con, kind, batch_id)
    loaded = LoadedBatch(batch_view(kind), rows, "csv", src.encoding, "fast", plan.warnings)
    loaded.seconds = time.perf_counter() - started
    return loaded


def insert_from_batch(
    con: duckdb.DuckDBPyConnection, kind: Kind, loaded: LoadedBatch, batch_id: str
) -> LoadedBatch:
    """Copy the in-memory batch into staging (the caller's transaction). The batch database
    cannot be written in the same transaction: the caller drops the batch after it ends."""
    started = time.perf_counter()
    cols = ", ".join(kind.column_names)
    con.execute(
        f"INSERT INTO staging.{kind.name} ({cols}, batch_id, source_row) "
        f"SELECT {cols}, $batch_id, source_row FROM {loaded.table}",
        {"batch_id": batch_id},
    )
    _create_view(con, kind, batch_id)
    loaded.table = batch_view(kind)
    loaded.seconds += time.perf_counter() - started
    return loaded


def _create_view(con: duckdb.DuckDBPyConnection, kind: Kind, batch_id: str) -> None:
    # Batch ids start with the load time, so zonemaps skip older row groups of staging.
    con.execute(
        f"CREATE OR REPLACE TEMP VIEW {batch_view(kind)} AS "
        f"SELECT {', '.join(kind.column_names)}, source_row FROM staging.{kind.name} "
        f"WHERE batch_id = {sql_str(batch_id)}"
    )


def drop_view(con: duckdb.DuckDBPyConnection, kind: Kind) -> None:
    con.execute(f"DROP VIEW IF EXISTS {batch_view(kind)}")


__all__ = ["DirectCsv", "NotClean", "batch_view", "insert_direct", "insert_from_batch"]
