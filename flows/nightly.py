"""Prefect flow `nightly`: ingest whatever is pending in the landing folder, evaluate, publish.

Scheduled at 02:00 Asia/Shanghai by `customs-credit serve`. The evaluation is the existing
`evaluate` flow, run as a subflow inside the writer slot; each file is its own task.
"""

from __future__ import annotations

import time

from prefect import flow, get_run_logger

from flows.artifacts import (
    publish_files_artifact,
    publish_quality_artifacts,
    publish_snapshot_artifact,
)
from flows.deployments_writer import writer_slot
from flows.evaluate_flow import evaluate_flow
from flows.evaluation import parse_as_of
from flows.nightly_tasks import ingest_one, list_pending, publish_and_summarize


@flow(name="nightly", log_prints=True)
def nightly(
    as_of: str | None = None,
    warehouse: str | None = None,
    rulebook: str | None = None,
    keep_versions: int = 5,
) -> dict:
    """Ingest pending landing files, evaluate the rules at as_of (default today), publish."""
    logger = get_run_logger()
    started = time.perf_counter()
    day = parse_as_of(as_of).isoformat()  # refuse a bad date before any work

    pending = list_pending(warehouse)
    logger.info("%d files pending in the landing folder", len(pending))
    # Data Docs pages are rendered once, by publish_and_summarize. One writer slot for all the
    # files: acquiring it per file cost ~2 s each, and nothing else may write between them.
    with writer_slot("nightly ingest"):
        reports = [
            r for r in (ingest_one(p, warehouse, data_docs=False) for p in pending) if r is not None
        ]
    publish_files_artifact(reports)
    accepted = [r for r in reports if r.status == "accepted"]
    rejected = [r for r in reports if r.status == "rejected"]
    logger.info(
        "ingested %d files: %d accepted (%d rows), %d rejected, %d duplicates",
        len(reports),
        len(accepted),
        sum(r.rows for r in accepted),
        len(rejected),
        len(reports) - len(accepted) - len(rejected),
    )

    with writer_slot("evaluate"):
        result = evaluate_flow(as_of=day, rulebook=rulebook, warehouse=warehouse)

    batch_ids = [r.batch_id for r in reports if r.batch_id]
    outcome = publish_and_summarize(warehouse, day, batch_ids, keep_versions)
    publish_snapshot_artifact(outcome.summary)
    publish_quality_artifacts(outcome.quality, outcome.data_docs)
    total = time.perf_counter() - started
    logger.info(
        "nightly %s done in %.1f s: %d enterprises, %d ready, %d apply now; version %s",
        day,
        total,
        result.enterprises,
        result.ready,
        len(outcome.summary.apply_now),
        outcome.version,
    )
    return {
        "as_of": day,
        "files": len(reports),
        "accepted": len(accepted),
        "rejected": len(rejected),
        "rows": sum(r.rows for r in accepted),
        "enterprises": result.enterprises,
        "ready": result.ready,
        "version": outcome.version,
        "seconds": round(total, 2),
    }
