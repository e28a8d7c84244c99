"""Prefect flow `ingest-file`: one landed file, run by the `customs.file.landed` trigger.

It loads the file (one coarse task), leaves the file and quality artifacts, and emits
`customs.batch.accepted` (which triggers the `refresh` deployment) or `customs.batch.rejected`
(which the alert automation forwards to the webhook).

Fast path: when no other ingest run is queued or running, this run also refreshes the snapshot
itself, as a `refresh` subflow, instead of leaving it to the triggered refresh run: that saves a
trigger, a runner poll and a process start (~4 s of the ~15 s from landing to snapshot). The
triggered run still comes, finds the snapshot covering the batch and ends without work (or is
cancelled while queued). In a burst every run but the last sees others queued and skips the fast
path, so the burst still gets one evaluation.
"""

from __future__ import annotations

from prefect import flow, get_run_logger

from flows.artifacts import data_docs_index, publish_files_artifact, publish_quality_artifacts
from flows.deployments_events import emit_batch_outcome
from flows.nightly_tasks import ingest_one
from warehouse.settings import load_settings


@flow(name="ingest-file", log_prints=True, flow_run_name="ingest {path}")
def ingest_file_flow(
    path: str,
    warehouse: str | None = None,
    as_of: str | None = None,
    refresh_when_last: bool = True,
) -> dict:
    """Validate and load one file from the landing folder; refresh if it was the last one."""
    report = ingest_one(path, warehouse)
    if report is None:
        get_run_logger().info("nothing to ingest: %s is gone", path)
        return {"path": path, "status": "gone"}
    publish_files_artifact([report])
    publish_quality_artifacts(report.quality, data_docs_index(load_settings(warehouse)))
    emit_batch_outcome(report)
    refreshed = False
    if report.status == "accepted" and refresh_when_last:
        from prefect.runtime import flow_run

        from flows.deployments_refresh import active_ingest_runs, refresh

        if active_ingest_runs(exclude=[str(flow_run.id)]) == 0:
            refresh(as_of=as_of, warehouse=warehouse, quiet_s=0.0)
            refreshed = True
    return {
        "refreshed": refreshed,
        "path": path,
        "status": report.status,
        "batch_id": report.batch_id,
        "rows": report.rows,
        "reason": report.reason,
        "seconds": round(report.duration_s, 2),
    }
