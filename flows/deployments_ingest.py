"""Prefect flow `ingest-file`: one landed file, run by the `customs.file.landed` trigger.

It loads the file (one coarse task), leaves the file and quality artifacts, and emits
`customs.batch.accepted` (which chains the debounced `refresh` deployment) or
`customs.batch.rejected` (which the alert automation forwards to the webhook).
"""

from __future__ import annotations

from prefect import flow, get_run_logger

from flows.artifacts import data_docs_index, publish_files_artifact, publish_quality_artifacts
from flows.deployments_events import emit_batch_outcome
from flows.nightly_tasks import ingest_one
from warehouse.settings import load_settings


@flow(name="ingest-file", log_prints=True, flow_run_name="ingest {path}")
def ingest_file_flow(path: str, warehouse: str | None = None) -> dict:
    """Validate and load one file from the landing folder."""
    report = ingest_one(path, warehouse)
    if report is None:
        get_run_logger().info("nothing to ingest: %s is gone", path)
        return {"path": path, "status": "gone"}
    publish_files_artifact([report])
    publish_quality_artifacts(report.quality, data_docs_index(load_settings(warehouse)))
    emit_batch_outcome(report)
    return {
        "path": path,
        "status": report.status,
        "batch_id": report.batch_id,
        "rows": report.rows,
        "reason": report.reason,
        "seconds": round(report.duration_s, 2),
    }
