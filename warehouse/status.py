"""`customs-credit status`: what the warehouse holds (batches, rows per kind, last runs)."""

from __future__ import annotations

import duckdb

from warehouse.contract import KINDS
from warehouse.errors import UserError
from warehouse.settings import Settings

RECENT_REJECTIONS = 5


def print_status(settings: Settings) -> int:
    """Print the status; 1 (with a clear message) if there is no warehouse yet."""
    if not settings.warehouse.exists():
        print(
            f"no warehouse yet at {settings.warehouse}: "
            "load files with `customs-credit ingest <files or folders>`"
        )
        return 1
    from warehouse.connection import connect

    try:
        con = connect(settings, read_only=True)
    except duckdb.IOException as exc:
        raise UserError(f"cannot open {settings.warehouse}: {str(exc).splitlines()[0]}") from exc
    try:
        for line in status_lines(con, settings):
            print(line)
    finally:
        con.close()
    return 0


def _has_table(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    return bool(
        con.execute(
            "SELECT 1 FROM duckdb_tables() WHERE schema_name = ? AND table_name = ?",
            [schema, table],
        ).fetchall()
    )


def status_lines(con: duckdb.DuckDBPyConnection, settings: Settings) -> list[str]:
    out = [f"warehouse {settings.warehouse}"]
    if not _has_table(con, "ops", "ingest_ledger"):
        return [*out, "no batches loaded yet"]
    batches = dict(
        (status, (n, rows or 0))
        for status, n, rows in con.sql(
            "SELECT status, count(*), sum(rows) FROM ops.ingest_ledger GROUP BY status"
        ).fetchall()
    )
    acc, rej = batches.get("accepted", (0, 0)), batches.get("rejected", (0, 0))
    out.append(f"batches: {acc[0]} accepted ({acc[1]:,d} rows), {rej[0]} rejected")
    recent = con.execute(
        "SELECT file_name, reason, finished_at FROM ops.ingest_ledger WHERE status = 'rejected' "
        "ORDER BY finished_at DESC LIMIT ?",
        [RECENT_REJECTIONS],
    ).fetchall()
    for file_name, reason, at in recent:
        out.append(f"  rejected {file_name} ({at:%Y-%m-%d %H:%M}): {reason}")
    out.append(f"{'kind':22s} {'staging rows':>14s} {'raw rows':>14s} {'batches':>8s}")
    for kind in KINDS:
        staging = con.sql(f"SELECT count(*) FROM staging.{kind}").fetchall()[0][0]
        raw, nb = con.sql(f"SELECT count(*), count(DISTINCT batch_id) FROM raw.{kind}").fetchall()[
            0
        ]
        out.append(f"{kind:22s} {staging:>14,d} {raw:>14,d} {nb:>8,d}")
    if _has_table(con, "ops", "runs"):
        runs = con.sql(
            "SELECT flow, status, as_of, started_at, finished_at FROM ops.runs "
            "QUALIFY row_number() OVER (PARTITION BY flow ORDER BY started_at DESC) = 1 "
            "ORDER BY started_at DESC"
        ).fetchall()
        if not runs:
            out.append("no runs recorded yet")
        for flow, status, as_of, started, finished in runs:
            when = f"{started:%Y-%m-%d %H:%M:%S}"
            took = f", {(finished - started).total_seconds():.1f} s" if finished else ""
            for_date = f" as of {as_of}" if as_of else ""
            out.append(f"last {flow} run: {status}{for_date}, started {when}{took}")
    from expectations.gx_docs import data_docs_index  # a path check; GX is not imported

    docs = data_docs_index(settings)
    out.append(f"data docs: {docs}" if docs else "data docs: none built yet")
    return out
