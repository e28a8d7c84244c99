"""Prefect flow `publish`: write the BI serving copy (warehouse.publish) and summarise it."""

from __future__ import annotations

from prefect import flow

from flows.artifacts import publish_snapshot_artifact
from flows.nightly_tasks import publish_and_summarize


@flow(name="publish", log_prints=True)
def publish_flow(warehouse: str | None = None, keep_versions: int = 5) -> dict:
    """Publish the latest snapshot for BI (versioned Parquet + serving.duckdb, atomic switch)."""
    outcome = publish_and_summarize(warehouse, None, [], keep_versions)
    publish_snapshot_artifact(outcome.summary)
    return {"version": outcome.version, "rows": outcome.rows, "seconds": outcome.duration_s}
