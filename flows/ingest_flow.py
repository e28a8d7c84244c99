"""`customs-credit ingest`: load files or folders, directly or as a Prefect flow run.

The Prefect flow `ingest_files(paths)` has one coarse task per file (each calls
warehouse.ingest.ingest_file); prefect is imported only when the flow is built, so the CLI starts
fast with --no-prefect. One warehouse connection per process: the flow opens it and closes it.
"""

from __future__ import annotations

import dataclasses
import json
import sys
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

import duckdb

from warehouse.ingest import IngestReport, expand_paths, ingest_file
from warehouse.settings import Settings, load_settings


def print_report(report: IngestReport) -> None:
    print(report.line(), flush=True)
    if report.status == "rejected" and report.reason_file:
        where = report.moved_to or report.file_path
        print(f"  moved to {where}" if report.moved_to else f"  left in {where}", flush=True)


def _progress(message: str) -> None:
    print(f"  ... {message}", flush=True)


def _run_files(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    files: list[Path],
    ingest_one: Callable[[Path], IngestReport],
) -> list[IngestReport]:
    reports = []
    for f in files:
        report = ingest_one(f)
        print_report(report)
        reports.append(report)
    return reports


def _record_run(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    started: datetime,
    reports: list[IngestReport],
    error: str | None,
) -> None:
    counts = {s: sum(r.status == s for r in reports) for s in ("accepted", "rejected", "duplicate")}
    status = "failed" if error else ("rejected" if counts["rejected"] else "succeeded")
    details = {
        **counts,
        "rows": sum(r.rows for r in reports if r.status == "accepted"),
        "warnings": sum(r.warnings for r in reports),
        "files": [r.file_name for r in reports],
        "error": error,
    }
    con.execute(
        "INSERT INTO ops.runs (run_id, flow, as_of, status, started_at, finished_at, details) "
        "VALUES (?, 'ingest', NULL, ?, ?, ?, ?)",
        [run_id, status, started, datetime.now(UTC), json.dumps(details, ensure_ascii=False)],
    )


def run_ingest(
    settings: Settings,
    paths: list[Path],
    ingest_one_factory: Callable[[duckdb.DuckDBPyConnection], Callable[[Path], IngestReport]],
    run_id: str,
) -> list[IngestReport]:
    """Open the warehouse once, ingest every file in order, record the run in ops.runs;
    then render the Data Docs pages of the batches validated (once for the whole command)."""
    from expectations.gx_docs import update_data_docs_quietly
    from warehouse.connection import connect

    files = expand_paths(paths)
    con = connect(settings)
    started = datetime.now(UTC)
    reports: list[IngestReport] = []
    try:
        reports = _run_files(con, settings, files, ingest_one_factory(con))
    except BaseException as exc:
        _record_run(con, run_id, started, reports, f"{type(exc).__name__}: {exc}")
        raise
    else:
        _record_run(con, run_id, started, reports, None)
    finally:
        con.close()
        docs = update_data_docs_quietly(settings)  # no GX import when no page is missing
    if docs is not None and any(r.status != "duplicate" for r in reports):
        print(f"Data Docs: {docs}", flush=True)
    return reports


def _direct(settings: Settings) -> Callable[[duckdb.DuckDBPyConnection], Callable]:
    def factory(con: duckdb.DuckDBPyConnection) -> Callable[[Path], IngestReport]:
        return lambda f: ingest_file(con, settings, f, progress=_progress, data_docs=False)

    return factory


@cache
def get_ingest_flow() -> Any:
    """Build the Prefect flow (and its task) on first use."""
    from prefect import flow, task
    from prefect.cache_policies import NO_CACHE
    from prefect.runtime import flow_run

    @task(name="ingest-file", cache_policy=NO_CACHE, task_run_name="ingest {path.name}")
    def ingest_one(con: duckdb.DuckDBPyConnection, settings: Settings, path: Path) -> IngestReport:
        return ingest_file(con, settings, path, progress=_progress, data_docs=False)

    @flow(name="ingest-files", log_prints=False)
    def ingest_files(
        paths: list[str], warehouse: str | None = None, landing: str | None = None
    ) -> list[dict[str, Any]]:
        """Validate and load files (folders expanded), one task per file, in load order."""
        settings = load_settings(warehouse)
        if landing is not None:
            settings = dataclasses.replace(settings, landing=Path(landing))

        def factory(con: duckdb.DuckDBPyConnection) -> Callable[[Path], IngestReport]:
            return lambda f: ingest_one(con, settings, f)

        run_id = str(flow_run.get_id() or uuid.uuid4())
        from flows.deployments_writer import writer_slot  # one writer, also beside `serve`

        with writer_slot("ingest-files"):
            reports = run_ingest(settings, [Path(p) for p in paths], factory, run_id)
        return [_summary(r) for r in reports]

    return ingest_files


def _summary(r: IngestReport) -> dict[str, Any]:
    return {
        "file": r.file_name,
        "status": r.status,
        "batch_id": r.batch_id,
        "rows": r.rows,
        "warnings": r.warnings,
        "reason": r.reason,
        "seconds": round(r.duration_s, 3),
    }


def __getattr__(name: str) -> Any:
    # `from flows.ingest_flow import ingest_files` builds the flow lazily.
    if name == "ingest_files":
        return get_ingest_flow()
    raise AttributeError(name)


def ingest_cli(settings: Settings, paths: list[Path], use_prefect: bool) -> int:
    """Print one line per file; 0 if nothing was rejected, 1 otherwise (or if a file failed)."""
    try:
        if use_prefect:
            summaries = get_ingest_flow()(
                paths=[str(p) for p in paths],
                warehouse=str(settings.warehouse),
                landing=str(settings.landing),
            )
            statuses = [s["status"] for s in summaries]
            warnings = sum(s["warnings"] for s in summaries)
        else:
            reports = run_ingest(settings, paths, _direct(settings), str(uuid.uuid4()))
            statuses = [r.status for r in reports]
            warnings = sum(r.warnings for r in reports)
    except Exception as exc:
        from warehouse.errors import UserError

        if isinstance(exc, UserError):
            raise
        print(f"failed: {type(exc).__name__}: {exc}".splitlines()[0], file=sys.stderr)
        return 1
    n = {s: statuses.count(s) for s in ("accepted", "rejected", "duplicate")}
    print(
        f"{len(statuses)} files: {n['accepted']} accepted, {n['rejected']} rejected, "
        f"{n['duplicate']} duplicate; {warnings} warnings"
    )
    return 1 if n["rejected"] else 0
