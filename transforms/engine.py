"""The rule engine: bind a rulebook, run the SQL models in order, replace T's marts atomically
(transforms/marts.py)."""

from __future__ import annotations

import datetime as dt
import functools
import logging
import time
import uuid
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from transforms.marts import MartWrite, late_read_tables
from transforms.model_graph import ModelGraph, load_graph
from transforms.model_runner import Progress, run_models, work_catalogs
from transforms.rulebook import Rulebook, rulebook_for
from warehouse import derived

log = logging.getLogger(__name__)

# Optimizers that cost more than they save on the models' few-thousand-row tables, off during an
# evaluation (valgrind, 10M declarations / 5,000 enterprises: 1,819M -> 1,751M instructions per
# evaluation): compressed_materialization packs keys into integers around every aggregate and
# join; join_filter_pushdown builds a filter from each join's build side for the probe's scan.
OPTIMIZERS_OFF = ("compressed_materialization", "join_filter_pushdown")


@dataclass
class EvaluationResult:
    as_of: dt.date
    rulebook: str
    provisional: bool
    run_id: str
    enterprises: int
    levels: dict[str, int]
    ready: int
    duration_s: float
    model_seconds: dict[str, float] = field(default_factory=dict)


def _sql_literal(value: object) -> str:
    """A rulebook value (or run label) as a typed SQL literal: exact decimals, never floats."""
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.date):
        return f"DATE '{value.isoformat()}'"
    if isinstance(value, int):
        return f"CAST({value} AS INTEGER)"
    if isinstance(value, float):
        return f"CAST('{value!r}' AS DECIMAL(24,8))"
    raise TypeError(f"unsupported rulebook value {value!r}")


def add_years(day: dt.date, years: int) -> dt.date:
    """As the models' add_years macro: 29 February + N years is 28 February in a common year."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def run_literals(book: Rulebook, as_of: dt.date, run_id: str) -> dict[str, str]:
    """Every value the models read (`param('x')`, `getvariable('x')`) as a typed SQL literal."""
    values: dict[str, object] = {name: p.value for name, p in book.params.items()}
    values.update(
        as_of=as_of, run_id=run_id, rulebook_id=book.id, rulebook_provisional=book.provisional
    )
    # T's window bounds (credit-rules.md, Windows) as constants: a model filtering a large table
    # by them filters in the scan, and one that needs nothing else starts before the macros.
    w1_after = add_years(as_of, -1)
    values.update(
        w1_after=w1_after,
        w2_after=add_years(as_of, -2),
        # the breach lookback's first day (T - 3 years < d): ctx needs no macro, so it is built
        # beside the macros and the models reading only ctx start before they exist
        lookback_start=add_years(as_of, -book.params["breach_lookback_years"].value)
        + dt.timedelta(days=1),
        w1_first_month=w1_after.replace(day=1),
        as_of_month=as_of.replace(day=1),
    )
    # The day numbers of W1's edges, for a lambda over a month's days: DuckDB does not fold a
    # constant expression inside a lambda (day(w1_after) there cost 2x a literal).
    values.update(as_of_day=as_of.day, w1_after_day=w1_after.day)
    return {name: _sql_literal(value) for name, value in values.items()}


@functools.cache
def model_graph() -> ModelGraph:
    """The models are code: read once per process."""
    return load_graph()


def last_model_seconds(con: duckdb.DuckDBPyConnection, runs: int = 5) -> dict[str, float]:
    """Median seconds per model over its latest recorded runs (one run's are noisy); empty
    before the first evaluation."""
    rows = con.execute(
        "SELECT model, median(seconds) FROM ("
        "  SELECT model, seconds, row_number() OVER ("
        "    PARTITION BY model ORDER BY recorded_at DESC) AS latest"
        "  FROM ops.model_timings) WHERE latest <= ? GROUP BY model",
        [runs],
    ).fetchall()
    return dict(rows)


def evaluate(
    con: duckdb.DuckDBPyConnection,
    as_of: dt.date,
    *,
    rulebook_path: Path | None = None,
    run_id: str | None = None,
    progress: Progress | None = None,
) -> EvaluationResult:
    """Evaluate every enterprise at T and replace T's rows in the marts."""
    started = time.perf_counter()
    book = rulebook_for(as_of, rulebook_path)
    run_id = run_id or f"local-{uuid.uuid4()}"
    threads, optimizers_off = con.execute(
        "SELECT current_setting('threads'), current_setting('disabled_optimizers')"
    ).fetchall()[0]
    # Each model is single-threaded (its operators' set-up outweighs the few thousand rows they
    # split), and as many independent models as there are threads run side by side. Set first:
    # setting `threads` waits for the queries in flight (here the set-up's own, ~4 ms).
    con.execute("SET threads = 1")
    off = sorted({*filter(None, optimizers_off.split(",")), *OPTIMIZERS_OFF})
    con.execute(f"SET disabled_optimizers = '{','.join(off)}'")
    # Checking the derived aggregates (a rebuild, when out of step, runs on one thread too) and
    # reading the models' last timings (a few ms of scans each) run beside the rest, on cursors
    # of their own.
    readers = ThreadPoolExecutor(2, thread_name_prefix="evaluate-setup")
    cursors = [con.cursor(), con.cursor()]
    try:
        in_step = readers.submit(derived.ensure_in_step, cursors[0])
        previous = readers.submit(last_model_seconds, cursors[1])
        return _evaluate(
            con, as_of, book, run_id, started, int(threads), progress, in_step, previous
        )
    finally:
        readers.shutdown(wait=True)
        for cursor in cursors:
            cursor.close()
        con.execute(f"SET threads = {threads}; SET disabled_optimizers = '{optimizers_off}'")


def _evaluate(
    con: duckdb.DuckDBPyConnection,
    as_of: dt.date,
    book: Rulebook,
    run_id: str,
    started: float,
    workers: int,
    progress: Progress | None,
    in_step: Future[bool],
    previous: Future[dict[str, float]],
) -> EvaluationResult:
    graph = model_graph()
    with work_catalogs(con, late_read_tables(graph)) as catalogs:
        literals = run_literals(book, as_of, run_id)
        marts = MartWrite(con, catalogs, book, as_of, run_id, literals)
        try:
            # Only the models reading derived.* wait for its check; the order of the models
            # follows the last timings once they are read.
            timings = run_models(
                con,
                graph,
                catalogs,
                literals,
                workers,
                progress,
                previous,
                marts.steps(),
                gates={"derived": in_step},
            )
            in_step.result()  # a graph that read no derived.* still commits only when in step
            counted = marts.finish(time.perf_counter() - started, timings)
        except BaseException:
            marts.abort()
            raise
    levels = {level: n for level, n, _ in counted}
    ready = sum(r for _, _, r in counted)
    return EvaluationResult(
        as_of=as_of,
        rulebook=book.id,
        provisional=book.provisional,
        run_id=run_id,
        enterprises=sum(levels.values()),
        levels=levels,
        ready=ready,
        duration_s=time.perf_counter() - started,
        model_seconds=timings,
    )
