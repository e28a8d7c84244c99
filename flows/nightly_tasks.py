"""Coarse Prefect tasks shared by the nightly, ingest-file, refresh and publish flows.

Each task that touches the warehouse takes the writer slot, opens the connection inside it and
closes it before returning (flows/deployments_writer.py). Retries cover transient I/O (a file
still being copied, a full disk freed, an API hiccup while taking the slot); ingestion is
idempotent by sha256, so a retry after a partial success only finds a duplicate.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from prefect import get_run_logger, task

from flows.artifacts import SnapshotSummary, quality_rows, snapshot_summary
from flows.deployments_writer import open_reader, open_writer
from flows.sensor import FingerprintCache, accepted_sha256, landing_files, pending_files
from warehouse.settings import Settings, load_settings


@dataclass
class LedgerReport:
    """The fields of an IngestReport that artifacts need, read back from ops.ingest_ledger."""

    batch_id: str | None
    file_name: str
    kind: str | None
    status: str
    rows: int
    warnings: int
    reason: str | None
    duration_s: float = 0.0
    findings: list[Any] = field(default_factory=list)


@dataclass
class PublishOutcome:
    version: str
    rows: dict[str, int]
    duration_s: float
    summary: SnapshotSummary
    quality: list[dict[str, Any]]
    data_docs: str | None


def _settings(warehouse: str | None) -> Settings:
    return load_settings(warehouse)


def transient(task: Any, task_run: Any, state: Any) -> bool:
    """Retry condition: retry I/O and orchestration hiccups, never a user's mistake."""
    from warehouse.errors import UserError

    try:
        state.result()
    except UserError:
        return False
    except Exception:
        return True
    return True


RETRY = {"retries": 2, "retry_delay_seconds": 5, "retry_condition_fn": transient}


@task(name="list-pending-files", **RETRY)
def list_pending(warehouse: str | None) -> list[str]:
    """Landing files whose content no accepted batch holds yet, in load order (enterprises
    first, then declarations, ...: the order `customs-credit ingest <folder>` uses)."""
    from warehouse.ingest import expand_paths

    settings = _settings(warehouse)
    files = landing_files(settings.landing)
    if Path(settings.warehouse).exists():
        with open_reader(settings, "list-pending") as con:
            accepted = accepted_sha256(con)
        files = pending_files(files, accepted, FingerprintCache())
    return [str(p) for p in expand_paths(files)]


@task(name="ingest-file", task_run_name="ingest {path}", **RETRY)
def ingest_one(path: str, warehouse: str | None, data_docs: bool = True) -> Any:
    """Validate and load one file (the ingestion module's ingest_file) under the writer slot.

    Returns the IngestReport with `quality` (its ops.quality_results rows) attached, or None when
    the file is gone. data_docs=False leaves rendering its Data Docs page to a later
    `update_data_docs` (the nightly's publish step), once for all files.
    """
    from warehouse.ingest import ingest_file

    logger = get_run_logger()
    settings = _settings(warehouse)
    p = Path(path)
    if not p.exists():  # already ingested and moved (rejected/), or withdrawn by its owner
        logger.info("%s is no longer in the landing folder: nothing to do", p.name)
        return None
    started = time.perf_counter()
    with open_writer(settings, f"ingest {p.name}") as con:
        report = ingest_file(con, settings, p, data_docs=data_docs)
        report.quality = quality_rows(con, [report.batch_id] if report.batch_id else [])
    logger.info(
        "%s %s: kind %s, %d rows, %d warnings, %.2f s (%.2f s with the slot)%s",
        report.status,
        report.file_name,
        report.kind,
        report.rows,
        report.warnings,
        report.duration_s,
        time.perf_counter() - started,
        f"; reason: {report.reason}" if report.reason else "",
    )
    return report


@task(name="publish-serving-copy", **RETRY)
def publish_and_summarize(
    warehouse: str | None,
    as_of: str | None,
    batch_ids: list[str],
    keep_versions: int = 5,
) -> PublishOutcome:
    """Publish the serving copy, then read what the artifacts need, in one writer session; the
    Data Docs pages still missing (files ingested with data_docs=False) are rendered here."""
    from expectations.gx_docs import update_data_docs_quietly
    from warehouse.publish import publish

    settings = _settings(warehouse)
    with open_writer(settings, "publish") as con:
        result = publish(settings, keep_versions=keep_versions, con=con)
        summary = snapshot_summary(con, dt.date.fromisoformat(as_of) if as_of else None)
        quality = quality_rows(con, batch_ids)
        docs = update_data_docs_quietly(settings)  # no GX import when no page is missing
    get_run_logger().info(
        "published version %s in %.2f s: %s",
        result.version,
        result.duration_s,
        ", ".join(f"{k} {v:,d}" for k, v in result.rows.items()),
    )
    return PublishOutcome(
        result.version,
        result.rows,
        result.duration_s,
        summary,
        quality,
        str(docs) if docs else None,
    )


def ledger_since(con, since: dt.datetime | None) -> list[LedgerReport]:
    """Ledger rows finished after `since` (all when None): what a refresh covers."""
    rows = con.execute(
        """SELECT batch_id, file_name, kind, status, rows, warnings, reason, duration_s
           FROM ops.ingest_ledger WHERE ?::TIMESTAMPTZ IS NULL OR finished_at > ?::TIMESTAMPTZ
           ORDER BY finished_at""",
        [since, since],
    ).fetchall()
    return [
        LedgerReport(b, f, k, s, int(n or 0), int(w or 0), r, float(d or 0))
        for b, f, k, s, n, w, r, d in rows
    ]
