"""ops.runs: one row per pipeline run, written when it starts and when it ends."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import duckdb


@dataclass
class Run:
    run_id: str
    details: str = ""


@contextmanager
def record_run(
    con: duckdb.DuckDBPyConnection, flow: str, run_id: str | None, as_of: dt.date | None = None
) -> Iterator[Run]:
    run = Run(run_id or f"local-{uuid.uuid4()}")
    con.execute(
        "INSERT OR REPLACE INTO ops.runs "
        "VALUES (?, ?, ?, 'running', current_timestamp, NULL, NULL)",
        [run.run_id, flow, as_of],
    )
    try:
        yield run
    except BaseException as exc:
        con.execute(
            "UPDATE ops.runs SET status = 'failed', finished_at = current_timestamp, details = ? "
            "WHERE run_id = ?",
            [f"{type(exc).__name__}: {exc}"[:2000], run.run_id],
        )
        raise
    con.execute(
        "UPDATE ops.runs SET status = 'completed', finished_at = current_timestamp, details = ? "
        "WHERE run_id = ?",
        [run.details, run.run_id],
    )
