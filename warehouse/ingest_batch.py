"""Read one file into its typed batch table `batch.<kind>` (an attached in-memory database).

The files the fast path does not take straight into staging (warehouse/ingest_stage.py) come
here: text that needs the robust reading, GBK, Excel, Parquet, and clean CSV that cannot be cut
into parts. The batch is then copied into staging inside the ingestion's transaction, and dropped
once that transaction ends (one transaction writes one database).

Row numbers: a clean CSV is read without ordinality, in parallel and in file order, into
`batch.<kind>_rows`; `batch.<kind>` is then a view adding `source_row = rowid + 1` (a table
created in insertion order numbers its rows in that order, and nobody changes the batch). The
other paths number rows as they read them (`source_row` is a column). Either way consumers
read `batch.<kind>` with its `source_row`.
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from warehouse.contract import Kind
from warehouse.ingest_types import BatchRejected, Finding
from warehouse.readers import (
    HeaderMap,
    SourceFile,
    file_format,
    map_header,
    open_csv,
    open_excel_frame,
    parquet_header,
    reject,
)
from warehouse.readers_sql import (
    HELPER_COLUMNS,
    csv_text_source,
    fast_csv_types,
    fast_select_sql,
    parquet_text_source,
    read_csv_sql,
    robust_select_sql,
)

BATCH_CATALOG = "batch"
EXCEL_VIEW = "_ingest_excel_source"
ROWS_SUFFIX = "_rows"  # the fast path's table; batch.<kind> is then a view over it
# CSV buffer of the fast path for big files: with insertion order kept, DuckDB's default buffer
# cost ~1.5 s more at 10M rows (many small batches to put back in order); 64 MiB costs nothing.
CSV_BUFFER_BYTES = 64 << 20
BIG_CSV_BYTES = 256 << 20  # smaller files keep DuckDB's default buffer (more parallel there)


@dataclass
class LoadedBatch:
    table: str  # fully qualified: batch.<kind>
    rows: int
    file_format: str
    encoding: str | None
    path_taken: str  # fast | robust
    warnings: list[Finding] = field(default_factory=list)
    seconds: float = 0.0


def attach_batch_db(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(f"ATTACH IF NOT EXISTS ':memory:' AS {BATCH_CATALOG}")


def batch_table(kind: Kind) -> str:
    return f"{BATCH_CATALOG}.{kind.name}"


def drop_batch(con: duckdb.DuckDBPyConnection, kind: Kind) -> None:
    table = batch_table(kind)
    # batch.<kind> is a view (fast path) or a table (the others); DROP of the other type fails.
    for sql in (
        f"DROP VIEW IF EXISTS {table}",
        f"DROP TABLE IF EXISTS {table}",
        f"DROP TABLE IF EXISTS {table}{ROWS_SUFFIX}",
    ):
        with contextlib.suppress(duckdb.CatalogException):
            con.execute(sql)


@contextlib.contextmanager
def insertion_order(con: duckdb.DuckDBPyConnection):
    """Keep insertion order for the statements inside (the warehouse connection runs without)."""
    before = con.sql("SELECT current_setting('preserve_insertion_order')").fetchall()[0][0]
    con.execute("SET preserve_insertion_order = true")
    try:
        yield
    finally:
        keep = str(before).lower() in ("true", "1")
        for _ in range(2):  # a second try if an interrupt meant for the read lands here
            with contextlib.suppress(duckdb.InterruptException):
                con.execute(f"SET preserve_insertion_order = {'true' if keep else 'false'}")
                break


def load_batch(
    con: duckdb.DuckDBPyConnection, kind: Kind, path: Path, temp_dir: Path, *, fast: bool = True
) -> LoadedBatch:
    """Create batch.<kind> from `path`; raise BatchRejected with the findings if it is bad.

    fast=False reads a CSV the robust way at once (the fast read already failed on it)."""
    started = time.perf_counter()
    fmt = file_format(path)
    if path.stat().st_size == 0:
        raise reject("empty_file", "the file is empty (0 bytes)")
    attach_batch_db(con)
    drop_batch(con, kind)
    table = batch_table(kind)
    if fmt == "csv":
        loaded = _load_csv(con, kind, path, temp_dir, table, fast)
    elif fmt == "xlsx":
        loaded = _load_excel(con, kind, path, table)
    else:
        loaded = _load_parquet(con, kind, path, table)
    loaded.seconds = time.perf_counter() - started
    return loaded


def _load_csv(
    con: duckdb.DuckDBPyConnection, kind: Kind, path: Path, temp_dir: Path, table: str, fast: bool
) -> LoadedBatch:
    src = open_csv(path, temp_dir)
    try:
        try:
            return _csv_into(con, kind, src, table, fast)
        except _NotUtf8:
            # The first MiB looked like UTF-8 but later bytes are not: a GBK export with an
            # ASCII head. Transcode the whole file and read again.
            src.cleanup()
            src = open_csv(path, temp_dir, force_encoding="gb18030")
            return _csv_into(con, kind, src, table, fast)
    finally:
        src.cleanup()


class _NotUtf8(Exception):
    pass


def is_unicode_error(exc: duckdb.Error) -> bool:
    text = str(exc).lower()
    return "unicode" in text or "utf-8" in text or "utf8" in text


def _csv_into(
    con: duckdb.DuckDBPyConnection, kind: Kind, src: SourceFile, table: str, fast: bool = True
) -> LoadedBatch:
    hm, warnings = map_header(kind, src.header)
    assert src.csv_path is not None
    n = len(src.header)
    if fast:
        loaded = _fast_csv_into(con, kind, src, table, hm, warnings)
        if loaded is not None:
            return loaded
    # Something in the file is not clean: read it as text and find out what, row by row.
    try:
        robust = robust_select_sql(kind, hm, csv_text_source(src.csv_path, n))
        con.execute(f"CREATE TABLE {table} AS {robust}")
    except duckdb.InterruptException:
        raise
    except duckdb.Error as exc:
        if is_unicode_error(exc) and src.encoding != "gb18030":
            raise _NotUtf8() from exc
        raise reject("csv_format", f"the CSV cannot be parsed: {_duckdb_reason(exc)}") from exc
    return _finish_robust(con, kind, table, "csv", src.encoding, warnings)


def _fast_csv_into(
    con: duckdb.DuckDBPyConnection,
    kind: Kind,
    src: SourceFile,
    table: str,
    hm: HeaderMap,
    warnings: list[Finding],
) -> LoadedBatch | None:
    """The typed read in parallel, numbered by position; None if the file is not clean."""
    assert src.csv_path is not None
    big = src.csv_path.stat().st_size >= BIG_CSV_BYTES
    source = read_csv_sql(
        src.csv_path,
        fast_csv_types(kind, hm, len(src.header)),
        ordinality=False,
        buffer_size=CSV_BUFFER_BYTES if big else None,
    )
    fast = fast_select_sql(kind, hm, source, source_row=False)
    try:
        rows_table = f"{table}{ROWS_SUFFIX}"
        with insertion_order(con):
            con.execute(f"CREATE TABLE {rows_table} AS {fast}")
        con.execute(
            f"CREATE VIEW {table} AS SELECT *, CAST(rowid + 1 AS BIGINT) AS source_row "
            f"FROM {rows_table}"
        )
        return LoadedBatch(table, _count(con, rows_table), "csv", src.encoding, "fast", warnings)
    except duckdb.InterruptException:
        raise
    except duckdb.Error as exc:
        if is_unicode_error(exc) and src.encoding != "gb18030":
            raise _NotUtf8() from exc
        drop_batch(con, kind)
    return None


def _load_excel(con: duckdb.DuckDBPyConnection, kind: Kind, path: Path, table: str) -> LoadedBatch:
    header, frame = open_excel_frame(path)
    if not header:
        raise reject("empty_file", "the first sheet is empty")
    hm, warnings = map_header(kind, header)
    con.register(EXCEL_VIEW, frame.to_arrow())
    try:
        con.execute(f"CREATE TABLE {table} AS {robust_select_sql(kind, hm, EXCEL_VIEW)}")
    finally:
        con.unregister(EXCEL_VIEW)
    return _finish_robust(con, kind, table, "xlsx", None, warnings)


def _load_parquet(
    con: duckdb.DuckDBPyConnection, kind: Kind, path: Path, table: str
) -> LoadedBatch:
    header = parquet_header(con, path)
    hm, warnings = map_header(kind, header)
    try:
        sql = robust_select_sql(kind, hm, parquet_text_source(path, header))
        con.execute(f"CREATE TABLE {table} AS {sql}")
    except duckdb.InterruptException:
        raise
    except duckdb.Error as exc:
        raise reject(
            "unreadable_file", f"the Parquet file cannot be read: {_duckdb_reason(exc)}"
        ) from exc
    return _finish_robust(con, kind, table, "parquet", None, warnings)


def _finish_robust(
    con: duckdb.DuckDBPyConnection,
    kind: Kind,
    table: str,
    fmt: str,
    encoding: str | None,
    warnings: list[Finding],
) -> LoadedBatch:
    errors = conversion_findings(con, kind, table, "_err", "error")
    warnings = warnings + conversion_findings(con, kind, table, "_warn", "warning")
    if errors:
        drop_batch(con, kind)
        raise BatchRejected(errors + warnings)
    for col in HELPER_COLUMNS:
        con.execute(f"ALTER TABLE {table} DROP COLUMN {col}")
    return LoadedBatch(table, _count(con, table), fmt, encoding, "robust", warnings)


CONVERSION_MESSAGES = {
    "date_format": "not a date (expected YYYY-MM-DD, YYYY/MM/DD or YYYYMMDD)",
    "money_format": "not an amount of money",
    "money_decimals": "more than 2 decimals",
    "bool_format": "not a boolean (true/false, 1/0, Y/N, 是/否)",
    "int_format": "not a whole number",
    "enum": "not an allowed value",
}


def conversion_findings(
    con: duckdb.DuckDBPyConnection, kind: Kind, table: str, tag: str, severity: str
) -> list[Finding]:
    rows = con.sql(
        f"SELECT {tag}, count(*), min(source_row), arg_min({tag}_val, source_row) "
        f"FROM {table} WHERE {tag} IS NOT NULL GROUP BY {tag} ORDER BY 3"
    ).fetchall()
    out = []
    for label, count, first_row, value in rows:
        column, rule = label.split(":", 1)
        message = f"{column}: {CONVERSION_MESSAGES.get(rule, rule)}"
        if severity == "warning":
            # what an empty value stands for: the row counts as that (e.g. doc_kind entry)
            default = kind.column(column).default
            message += f"; loaded as the default {default!r}" if default else "; loaded as empty"
        out.append(
            Finding(
                rule=rule,
                message=message,
                column=column,
                row=first_row,
                value=value,
                count=count,
                severity=severity,  # type: ignore[arg-type]
                stage="convert",
            )
        )
    return out


def _count(con: duckdb.DuckDBPyConnection, table: str) -> int:
    return con.sql(f"SELECT count(*) FROM {table}").fetchall()[0][0]


def _duckdb_reason(exc: BaseException) -> str:
    lines = [ln.strip() for ln in str(exc).splitlines() if ln.strip()]
    head = lines[0] if lines else type(exc).__name__
    where = next((ln for ln in lines if ln.lower().startswith(("line", "original line"))), "")
    return f"{head} {where}".strip()


__all__ = ["BATCH_CATALOG", "HeaderMap", "LoadedBatch", "attach_batch_db", "load_batch"]
