"""Evaluate T: open the warehouse, run the rule engine, record the run. No Prefect import here."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

from warehouse.errors import UserError
from warehouse.runs import record_run
from warehouse.settings import Settings

SHANGHAI = ZoneInfo("Asia/Shanghai")


def today_in_shanghai() -> dt.date:
    return dt.datetime.now(SHANGHAI).date()


def parse_as_of(text: str | None) -> dt.date:
    if text is None:
        return today_in_shanghai()
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise UserError(f"--as-of {text!r} is not a date (YYYY-MM-DD)") from exc


def run_evaluation(
    settings: Settings,
    as_of: dt.date,
    rulebook: Path | None = None,
    run_id: str | None = None,
    *,
    verbose: bool = True,
):
    """Evaluate every enterprise at T into the marts (replacing T's earlier rows)."""
    from transforms.engine import evaluate
    from transforms.rulebook import rulebook_for
    from warehouse.connection import connect

    rulebook_for(as_of, rulebook)  # refuse a bad date or rulebook before touching the warehouse

    def progress(model: str, seconds: float) -> None:
        if verbose:
            print(f"  {model:32s} {seconds:6.2f} s", file=sys.stderr)

    con = connect(settings)
    try:
        with record_run(con, "evaluate", run_id, as_of) as run:
            result = evaluate(
                con, as_of, rulebook_path=rulebook, run_id=run.run_id, progress=progress
            )
            run.details = f"{result.enterprises} enterprises, {result.ready} ready"
        return result
    finally:
        con.close()


def print_result(result) -> None:
    levels = ", ".join(f"{k} {v}" for k, v in sorted(result.levels.items()))
    flag = " (provisional rulebook)" if result.provisional else ""
    print(
        f"evaluated {result.enterprises} enterprises as of {result.as_of} with "
        f"{result.rulebook}{flag} in {result.duration_s:.2f} s: {levels}; "
        f"{result.ready} ready to apply; run {result.run_id}"
    )


def evaluate_cli(
    settings: Settings, as_of: str | None, rulebook: Path | None, use_prefect: bool
) -> int:
    day = parse_as_of(as_of)
    if use_prefect:
        from flows.evaluate_flow import evaluate_flow

        result = evaluate_flow(
            as_of=day.isoformat(),
            rulebook=str(rulebook) if rulebook else None,
            warehouse=str(settings.warehouse),
        )
    else:
        result = run_evaluation(settings, day, rulebook)
    print_result(result)
    return 0
