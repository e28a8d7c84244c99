"""Where an evaluation's time goes (a tool for performance work, not part of `make bench`).

    python -m bench.evaluate_profile [--declarations N] [--enterprises E] [--db FILE] [--runs R]

On the evaluate bench's synthetic warehouse (bench/evaluate_bench.py; `--db` reuses a warehouse
file, copied first, built there when missing): the best of R evaluations as a timeline, each
model's start and end on the evaluation's clock (as many side by side as the warehouse has
threads), the set-up before the first model and the marts' tail after the last; then each model
alone on one thread, its planning (PREPARE of its query: parse, bind, optimise) against its
whole run.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from bench.evaluate_bench import AS_OF, warehouse_file


class _Clock:
    """Each model's (name, start, end) in seconds since the evaluation started."""

    def __init__(self) -> None:
        self.started = time.perf_counter()
        self.models: list[tuple[str, float, float]] = []

    def progress(self, model: str, seconds: float) -> None:
        end = time.perf_counter() - self.started
        self.models.append((model, end - seconds, end))


def timeline(con, runs: int) -> tuple[float, list[tuple[str, float, float]]]:
    """The fastest of `runs` evaluations: (seconds, [(model, start, end)] by start)."""
    from transforms.engine import evaluate

    best: tuple[float, list[tuple[str, float, float]]] | None = None
    for _ in range(runs):
        clock = _Clock()
        evaluate(con, AS_OF, progress=clock.progress)
        total = time.perf_counter() - clock.started
        con.execute("CHECKPOINT")
        if best is None or total < best[0]:
            best = (total, sorted(clock.models, key=lambda m: m[1]))
    assert best is not None
    return best


def planning(con, repeats: int = 5) -> list[tuple[str, float, float]]:
    """Per model, alone on one thread: (model, median PREPARE seconds, median run seconds)."""
    from transforms import engine
    from transforms.model_runner import search_path_sql, work_catalogs

    literals = engine.run_literals(engine.rulebook_for(AS_OF, None), AS_OF, "profile")
    graph = engine.model_graph()
    # tuned as an evaluation tunes it, and not restored: the tool closes its connection next
    con.execute("SET threads = 1")
    con.execute(f"SET disabled_optimizers = '{','.join(engine.OPTIMIZERS_OFF)}'")
    rows = []
    with work_catalogs(con) as catalogs:
        con.execute(search_path_sql(con, catalogs))
        con.execute(graph.bound_setup(catalogs.shared, literals))
        for model in graph.models:
            sql = model.bound_sql(catalogs.shared, literals)
            query = model.bound_query(literals)
            plans, runs = [], []
            for _ in range(repeats):
                started = time.perf_counter()
                con.execute(sql)
                runs.append(time.perf_counter() - started)
                started = time.perf_counter()
                con.execute(f"PREPARE profiled AS {query}")
                plans.append(time.perf_counter() - started)
                con.execute("DEALLOCATE profiled")
            name = model.stem + (" (view)" if model.kind == "VIEW" else "")
            rows.append((name, statistics.median(plans), statistics.median(runs)))
    return rows


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="evaluate_profile", description=__doc__.splitlines()[0])
    p.add_argument("--declarations", type=int, default=10_000_000)
    p.add_argument("--enterprises", type=int, default=5000)
    p.add_argument(
        "--db", type=Path, help="a warehouse file to profile (copied; built there when missing)"
    )
    p.add_argument("--runs", type=int, default=5)
    args = p.parse_args(argv)

    from warehouse.connection import connect
    from warehouse.settings import load_settings

    workdir = Path(tempfile.mkdtemp(prefix="cc-profile-"))
    try:
        path = warehouse_file(
            workdir / "profile.duckdb", args.enterprises, args.declarations, args.db
        )
        con = connect(load_settings(path))
        timeline(con, 2)  # warm: the models' timings on record order the graph
        total, models = timeline(con, args.runs)
        print(f"\nbest of {args.runs} evaluations: {total * 1000:.1f} ms")
        print(f"  set-up before the first model {models[0][1] * 1000:6.1f} ms")
        for model, start, end in models:
            span = f"{start * 1000:6.1f} -> {end * 1000:6.1f} ({(end - start) * 1000:5.1f})"
            print(f"  {model:32s} {span}")
        tail = total - max(end for _, _, end in models)
        print(f"  after the last model (last copy, COMMIT, clean-up) {tail * 1000:.1f} ms")
        rows = planning(con)
        print("\neach model alone, one thread (median of 5): planning of its query / whole run")
        print("(a view's run only creates it: its query is planned and run by its readers)")
        for model, plan, run in rows:
            print(f"  {model:36s} {plan * 1000:6.2f} / {run * 1000:6.2f} ms ({plan / run:4.0%})")
        plan_s, run_s = sum(r[1] for r in rows), sum(r[2] for r in rows)
        share = f"{plan_s * 1000:6.1f} / {run_s * 1000:6.1f} ms ({plan_s / run_s:4.0%})"
        print(f"  {'all models':36s} {share}")
        con.close()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
