"""Run the model graph with independent models side by side.

Each model is a small single-threaded query over a few thousand rows per table: the time goes to
planning and operator set-up, not to data, so DuckDB's own threads barely help (measured) while
running two independent models at once does. Connections only share attached databases, not temp
tables, macros or variables, so the models' tables and macros live in an in-memory catalog
attached for this evaluation, the rulebook's values are bound into the SQL as literals
(transforms/model_graph.py), and a worker connection only sets its search path.

Steps that must run on the pipeline's own connection (the marts transaction, transforms/marts.py)
can be tasks of the graph too: they wait for the models they read, run one at a time, and take
the slots the models leave free, so the marts are copied while the graph's last models run
instead of after them. A transaction sees an attached database as it was at the first statement
that read it: a table such a step reads that is built after the step's transaction first read the
work catalog is built in a catalog of its own (WorkCatalogs.own), first read after it is built.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass, field

import duckdb

from transforms.model_graph import Model, ModelGraph

Progress = Callable[[str, float], None]
MACROS = "<macros>"  # the setup files' task in the graph (no table has this name)


@dataclass(frozen=True)
class WorkCatalogs:
    """The in-memory catalogs of one evaluation: `shared` holds the macros and every model's
    table or view but those in `own` (table -> a catalog of its own)."""

    shared: str
    own: Mapping[str, str] = field(default_factory=dict)

    def of(self, table: str) -> str:
        return self.own.get(table, self.shared)


@dataclass(frozen=True)
class MainTask:
    """A step run on the pipeline's own connection once the models (tables) and steps (names) in
    `deps` are done; never two at a time."""

    name: str
    deps: frozenset[str]
    run: Callable[[], None]


@contextmanager
def work_catalogs(
    con: duckdb.DuckDBPyConnection, own_tables: Iterable[str] = ()
) -> Iterator[WorkCatalogs]:
    """In-memory catalogs for one evaluation's models, detached (freed) afterwards."""
    prefix = f"cc_work_{uuid.uuid4().hex[:12]}"
    catalogs = WorkCatalogs(prefix, {t: f"{prefix}_{t}" for t in own_tables})
    attached: list[str] = []
    try:
        for name in (catalogs.shared, *catalogs.own.values()):
            con.execute(f"ATTACH ':memory:' AS {name}")
            attached.append(name)
        yield catalogs
    finally:
        for name in attached:
            con.execute(f"DETACH {name}")


def search_path_sql(con: duckdb.DuckDBPyConnection, catalogs: WorkCatalogs) -> str:
    """Unqualified names resolve in the warehouse first (schema-qualified ones like staging.x
    need it first), then in the work catalogs where the models' tables are."""
    database = con.execute("SELECT current_database()").fetchall()[0][0]
    paths = [f"{c}.main" for c in (database, catalogs.shared, *catalogs.own.values())]
    return f"SET search_path = '{','.join(paths)}'"


def _check_views(graph: ModelGraph, catalogs: WorkCatalogs) -> None:
    """A view resolves the names it reads in its own (the shared) catalog only."""
    for model in graph.models:
        apart = sorted(model.deps & catalogs.own.keys())
        if model.kind == "VIEW" and apart:
            raise ValueError(f"view {model.stem} reads {apart}, built in catalogs of their own")


class _Urgency:
    """Which ready tasks start first: the macros, then models longest remaining chain first (so
    the chain never waits behind a side branch that could have run beside it), then the main
    connection's steps. Chains are measured by an earlier run's seconds once they have been
    read, never waited for: the SQL's length stands in until then (the first tasks, tiny or
    alone, barely need an order)."""

    def __init__(
        self,
        graph: ModelGraph,
        previous: Mapping[str, float] | Future[Mapping[str, float]] | None,
        main_tasks: Sequence[MainTask],
    ) -> None:
        self.graph, self.previous = graph, previous
        self.main = {step.name for step in main_tasks}
        self.chains: dict[str, float] | None = None
        self.stand_in: dict[str, float] | None = None  # by SQL length, until the timings are read

    def first(self, ready: list[str]) -> list[str]:
        chains = self._chains()
        models = sorted(
            (k for k in ready if k != MACROS and k not in self.main),
            key=lambda k: chains.get(k, 0.0),
            reverse=True,
        )
        steps = [k for k in ready if k in self.main]
        return [MACROS] * (MACROS in ready) + models + steps

    def _chains(self) -> dict[str, float]:
        if self.chains is None:
            previous = self.previous
            if isinstance(previous, Future):
                if not previous.done():
                    if self.stand_in is None:
                        self.stand_in = self.graph.remaining_path(None)
                    return self.stand_in
                previous = previous.result()
            self.chains = self.graph.remaining_path(previous)
        return self.chains


def run_models(
    con: duckdb.DuckDBPyConnection,
    graph: ModelGraph,
    catalogs: WorkCatalogs,
    literals: Mapping[str, str],
    workers: int,
    progress: Progress | None = None,
    previous: Mapping[str, float] | Future[Mapping[str, float]] | None = None,
    main_tasks: Sequence[MainTask] = (),
    gates: Mapping[str, Future[object]] | None = None,
) -> dict[str, float]:
    """Run every model once its dependencies are built, `workers` at a time, and the
    `main_tasks` on `con` in the slots left. `previous`: the seconds per model of an earlier
    run, to order them (a Future is never waited for: until it is done, the SQL's length stands
    in). `gates`: warehouse schema -> work in flight elsewhere (a check that may rebuild it):
    the models that read the schema wait for it, the others start at once. A failing model,
    step or gate stops the run (the others are interrupted); a model's failure is raised as
    RuntimeError naming it."""
    _check_views(graph, catalogs)
    search_path = search_path_sql(con, catalogs)
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

    def run(task: Model | MainTask) -> None:
        if isinstance(task, MainTask):
            task.run()
            return
        cursor = connection()  # it has the search path: a macro may call an earlier one
        started = time.perf_counter()
        try:
            if task is macros:
                cursor.execute(graph.bound_setup(catalogs.shared, literals))
                return
            cursor.execute(task.bound_sql(catalogs.of(task.table), literals))
        except duckdb.Error as exc:
            raise RuntimeError(f"model {task.stem} failed: {exc}") from exc
        seconds = time.perf_counter() - started
        with lock:
            timings[task.stem] = seconds
            if progress:
                progress(task.stem, seconds)

    waiting: dict[str, set[str]] = {m.table: set(m.deps) for m in graph.models}
    tasks: dict[str, Model | MainTask] = {m.table: m for m in graph.models}
    # Creating the macros is a task of its own, first: the models that call none start beside it.
    macros = Model("macros", MACROS, "", frozenset())
    if graph.setup:
        waiting[MACROS] = set()
        tasks[MACROS] = macros
        for model in graph.models:
            if model.uses_macros:
                waiting[model.table].add(MACROS)
    for step in main_tasks:
        waiting[step.name] = set(step.deps)
        tasks[step.name] = step
    gated: dict[Future[object], str] = {}
    for schema, future in (gates or {}).items():
        gated[future] = gate = f"<{schema}>"
        for model in graph.models:
            if model.reads_schema(schema):
                waiting[model.table].add(gate)
    urgency = _Urgency(graph, previous, main_tasks)
    running: dict[Future[None], Model | MainTask] = {}
    slots = max(1, workers)
    pool = ThreadPoolExecutor(slots, thread_name_prefix="model")
    # Threads started before the first tasks: a thread starting a task takes the GIL from this
    # loop while it starts the next (measured: 1-3.5 ms before the second task started).
    wait([pool.submit(time.sleep, 0) for _ in range(slots)])
    try:
        while waiting or running:
            main_busy = any(isinstance(t, MainTask) for t in running.values())
            ready = [k for k, deps in waiting.items() if not deps]
            for key in urgency.first(ready):
                if len(running) >= slots:
                    break
                if isinstance(tasks[key], MainTask):
                    if main_busy:
                        continue
                    main_busy = True
                running[pool.submit(run, tasks[key])] = tasks[key]
                del waiting[key]
            if not running and not gated:
                raise RuntimeError(f"tasks wait for what no task builds: {sorted(waiting)}")
            finished, _ = wait([*running, *gated], return_when=FIRST_COMPLETED)
            for future in finished:
                if future in gated:
                    done = gated.pop(future)
                    future.result()  # a failed check stops the run here
                else:
                    task = running.pop(future)
                    future.result()  # a failure stops the run here
                    done = task.name if isinstance(task, MainTask) else task.table
                for deps in waiting.values():
                    deps.discard(done)
    except BaseException:
        for cursor in list(cursors):
            cursor.interrupt()
        if main_tasks:
            con.interrupt()
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    finally:
        pool.shutdown(wait=True)
        for cursor in cursors:
            cursor.close()
    return {m.stem: timings[m.stem] for m in graph.models}
