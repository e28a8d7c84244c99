"""The pipeline's own Prefect events: names, resources, and one function to emit each.

customs.file.landed        a complete file is in the landing folder -> ingest-file/ingest
customs.batch.accepted     a batch was loaded                       -> refresh/refresh
customs.batch.rejected     a batch was refused (reason in payload)  -> alert automation
customs.refresh.requested  the sensor saw the snapshot lag behind   -> refresh/refresh
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

FILE_LANDED = "customs.file.landed"
BATCH_ACCEPTED = "customs.batch.accepted"
BATCH_REJECTED = "customs.batch.rejected"
REFRESH_REQUESTED = "customs.refresh.requested"


def _emit(event: str, resource_id: str, name: str, payload: dict[str, Any]) -> None:
    from prefect.events import emit_event

    emit_event(
        event=event,
        resource={"prefect.resource.id": resource_id, "prefect.resource.name": name},
        payload=payload,
    )


def emit_file_landed(path: Path, source: str) -> None:
    """`source` says who noticed the file: watcher or sensor (for the event feed)."""
    path = path.resolve()
    size = path.stat().st_size if path.exists() else None
    _emit(
        FILE_LANDED,
        f"customs.landing.{path}",
        path.name,
        {"path": str(path), "size_bytes": size, "source": source},
    )


def emit_batch_outcome(report: Any) -> None:
    """customs.batch.accepted / customs.batch.rejected for an IngestReport (duplicates: none)."""
    if report.status not in ("accepted", "rejected"):
        return
    event = BATCH_ACCEPTED if report.status == "accepted" else BATCH_REJECTED
    _emit(
        event,
        f"customs.batch.{report.batch_id}",
        report.file_name,
        {
            "batch_id": report.batch_id,
            "kind": report.kind,
            "file_name": report.file_name,
            "rows": report.rows,
            "reason": report.reason,
        },
    )


def emit_refresh_requested(reason: str) -> None:
    _emit(REFRESH_REQUESTED, "customs.snapshot", "snapshot", {"reason": reason})
