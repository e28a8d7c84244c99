"""Run the model graph with independent models side by side.

Each model is a small single-threaded query over a few thousand rows per table: the time goes to
planning and operator set-up, not to data, so DuckDB's own threads barely help (measured) while
running two independent models at once does. Connections only share attached databases, not temp
tables, macros or variables, so the models' tables and macros live in an in-memory catalog
attached for this evaluation, the rulebook's values are bound into the SQL as literals
(transforms/model_graph.py), and a worker connection only sets its search path.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from contextlib import contextmanager

import duckdb

from transforms.model_graph import Model, ModelGraph

Progress = Callable[[str, float], None]
MACROS = "<macros>"  # the setup files' task in the graph (no table has this name)


@contextmanager
def work_catalog(con: duckdb.DuckDBPyConnection) -> Iterator[str]:
    """An in-memory catalog for one evaluation's model tables, detached (freed) afterwards."""
    name = f"cc_work_{uuid.uuid4().hex[:12]}"
    con.execute(f"ATTACH ':memory:' AS {name}")
    try:
        yield name
    finally:
        con.execute(f"DETACH {name}")


def search_path_sql(con: duckdb.DuckDBPyConnection, catalog: str) -> str:
    """Unqualified names resolve in the warehouse first (schema-qualified ones like staging.x
    need it first), then in the work catalog where the models' tables are."""
    database = con.execute("SELECT current_database()").fetchall()[0][0]
    return f"SET search_path = '{database}.main,{catalog}.main'"


def run_models(
    con: duckdb.DuckDBPyConnection,
    graph: ModelGraph,
    catalog: str,
    literals: Mapping[str, str],
    workers: int,
    progress: Progress | None = None,
    previous: Mapping[str, float] | None = None,
) -> dict[str, float]:
    """Run every model once its dependencies are built, `workers` at a time (`previous`: the
    seconds per model of an earlier run, to order them). A failing model stops the run (the
    others are interrupted) and is raised as RuntimeError naming it."""
    search_path = search_path_sql(con, catalog)
    lock = threading.Lock()
    local = threading.local()
    cursors: list[duckdb.DuckDBPyConnection] = []
    timings: dict[str, float] = {}

    def connection() -> duckdb.DuckDBPyConnection:
        cursor = getattr(local, "cursor", None)
        if cursor is None:
            cursor = con.cursor()
            with lock:
                cursors.append(cursor)
            cursor.execute(search_path)
            local.cursor = cursor
        return cursor

    def run(model: Model) -> None:
        cursor = connection()  # it has the search path: a macro may call an earlier one
        started = time.perf_counter()
        try:
            if model is macros:
                cursor.execute(graph.bound_setup(catalog, literals))
                return
            cursor.execute(model.bound_sql(catalog, literals))
        except duckdb.Error as exc:
            raise RuntimeError(f"model {model.stem} failed: {exc}") from exc
        seconds = time.perf_counter() - started
        with lock:
            timings[model.stem] = seconds
            if progress:
                progress(model.stem, seconds)

    # Ready models start longest remaining chain first, so the chain never waits behind a side
    # branch that could have run beside it.
    urgency = graph.remaining_path(previous)
    waiting = {m.table: set(m.deps) for m in graph.models}
    by_table = {m.table: m for m in graph.models}
    # Creating the macros is a task of its own, first: the models that call none start beside it.
    macros = Model("macros", MACROS, "", frozenset())
    if graph.setup:
        waiting[MACROS] = set()
        by_table[MACROS] = macros
        urgency[MACROS] = float("inf")
        for model in graph.models:
            if model.uses_macros:
                waiting[model.table].add(MACROS)
    running: dict[Future[None], Model] = {}
    pool = ThreadPoolExecutor(max(1, workers), thread_name_prefix="model")
    try:
        while waiting or running:
            ready = sorted((t for t, deps in waiting.items() if not deps), key=urgency.get)
            for table in reversed(ready[len(ready) - (max(1, workers) - len(running)) :]):
                running[pool.submit(run, by_table[table])] = by_table[table]
                del waiting[table]
            finished, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in finished:
                model = running.pop(future)
                future.result()  # a failure stops the run here
                for deps in waiting.values():
                    deps.discard(model.table)
    except BaseException:
        for cursor in list(cursors):
            cursor.interrupt()
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    finally:
        pool.shutdown(wait=True)
        for cursor in cursors:
            cursor.close()
    return {m.stem: timings[m.stem] for m in graph.models}
