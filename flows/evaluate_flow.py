"""Prefect flow `evaluate`: the rule engine as one coarse task, visible in the Prefect UI."""

from __future__ import annotations

from pathlib import Path

from prefect import flow, get_run_logger, task
from prefect.runtime import flow_run

from flows.evaluation import parse_as_of, run_evaluation
from warehouse.settings import load_settings


@task(name="evaluate-rules", retries=1, retry_delay_seconds=5)
def evaluate_task(warehouse: str | None, as_of: str, rulebook: str | None, run_id: str):
    from flows.deployments_writer import writer_slot  # one writer, also beside `serve`

    settings = load_settings(warehouse)
    book = Path(rulebook) if rulebook else None
    with writer_slot("evaluate"):
        return run_evaluation(settings, parse_as_of(as_of), book, run_id, verbose=False)


@flow(name="evaluate", log_prints=True)
def evaluate_flow(
    as_of: str | None = None, rulebook: str | None = None, warehouse: str | None = None
):
    """Evaluate the credit rules for every enterprise at as_of (default: today in Shanghai)."""
    day = parse_as_of(as_of).isoformat()
    result = evaluate_task(warehouse, day, rulebook, str(flow_run.id))
    get_run_logger().info(
        "evaluated %d enterprises as of %s with %s in %.2f s: %s; %d ready",
        result.enterprises,
        result.as_of,
        result.rulebook,
        result.duration_s,
        result.levels,
        result.ready,
    )
    return result
