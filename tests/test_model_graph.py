"""The model graph and its runner: dependencies read from the SQL, values bound as literals,
independent models run side by side with the same results as one at a time."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path

import duckdb
import pytest

from transforms.engine import add_years, last_model_seconds, model_graph, run_literals
from transforms.model_graph import bind_values, load_graph, model_files
from transforms.model_runner import MainTask, run_models, work_catalogs
from transforms.rulebook import rulebook_for


def _write(folder: Path, files: dict[str, str]) -> Path:
    for name, sql in files.items():
        (folder / name).write_text(sql, encoding="utf-8")
    return folder


def test_dependencies_come_from_table_names_outside_comments(tmp_path: Path) -> None:
    graph = load_graph(
        _write(
            tmp_path,
            {
                "000_macros.sql": "CREATE OR REPLACE TEMP MACRO twice(x) AS 2 * x;",
                "010_a.sql": "CREATE OR REPLACE TEMP TABLE a AS SELECT 1 AS v;",
                "020_b.sql": "-- not from c\nCREATE OR REPLACE TEMP TABLE b AS SELECT v FROM a;",
                "030_c.sql": "CREATE OR REPLACE TEMP TABLE c AS SELECT twice(v) AS w FROM a, b;",
            },
        )
    )
    assert [(m.table, sorted(m.deps)) for m in graph.models] == [
        ("a", []),
        ("b", ["a"]),
        ("c", ["a", "b"]),
    ]
    assert len(graph.setup) == 1


def test_the_longest_remaining_chain_uses_measured_seconds_when_complete(tmp_path: Path) -> None:
    graph = load_graph(
        _write(
            tmp_path,
            {
                "010_a.sql": "CREATE OR REPLACE TEMP TABLE a AS SELECT 1 AS v;",
                "020_b.sql": "CREATE OR REPLACE TEMP TABLE b AS SELECT v FROM a;",
                "030_side.sql": "CREATE OR REPLACE TEMP TABLE side AS SELECT 2 AS w;",
            },
        )
    )
    measured = graph.remaining_path({"010_a": 0.5, "020_b": 0.25, "030_side": 1.0})
    assert measured == {"a": 0.75, "b": 0.25, "side": 1.0}
    by_length = graph.remaining_path({"010_a": 0.5})  # incomplete: SQL length stands in
    assert by_length["a"] == by_length["b"] + len(graph.models[0].sql)


def test_a_model_reading_a_later_table_is_refused(tmp_path: Path) -> None:
    _write(
        tmp_path,
        {
            "010_a.sql": "CREATE OR REPLACE TEMP TABLE a AS SELECT * FROM b;",
            "020_b.sql": "CREATE OR REPLACE TEMP TABLE b AS SELECT 1 AS v;",
        },
    )
    with pytest.raises(ValueError, match=r"010_a\.sql reads \['b'\], built by a later model"):
        load_graph(tmp_path)


def test_values_are_bound_as_literals_and_unknown_names_refused() -> None:
    sql = "SELECT param('limit') + 1, getvariable('as_of')"
    literals = {"limit": "CAST(3 AS INTEGER)", "as_of": "DATE '2025-09-30'"}
    assert bind_values(sql, literals) == "SELECT CAST(3 AS INTEGER) + 1, DATE '2025-09-30'"
    with pytest.raises(ValueError, match=r"no value bound for param\('nope'\)"):
        bind_values("SELECT param('nope')", literals)


def test_every_bundled_model_value_is_bound() -> None:
    book = rulebook_for(dt.date(2026, 6, 30))
    literals = run_literals(book, dt.date(2026, 6, 30), "run-1")
    graph = model_graph()
    for model in graph.models:
        assert "param(" not in model.bound_sql("w", literals)
        assert "getvariable(" not in model.bound_sql("w", literals)
        query = model.bound_query(literals)  # what bench.evaluate_profile prepares
        assert "CREATE" not in query.upper() and "param(" not in query
    assert "param(" not in graph.bound_setup("w", literals)


@pytest.mark.parametrize(
    ("as_of", "first_day"),
    [("2025-09-30", "2022-10-01"), ("2028-02-29", "2025-03-01"), ("2025-02-28", "2022-03-01")],
)
def test_the_breach_lookback_starts_the_day_after_t_minus_3_years(as_of, first_day) -> None:
    """T - 3 years < d <= T, 29 Feb minus years is 28 Feb (credit-rules.md, Vocabulary)."""
    t = dt.date.fromisoformat(as_of)
    literals = run_literals(rulebook_for(t), t, "run-1")
    assert literals["lookback_start"] == f"DATE '{first_day}'"


def test_python_add_years_agrees_with_the_models_macro() -> None:
    """The engine binds W1's edge days computed in Python; the models compute W1 in SQL."""
    con = duckdb.connect()
    macros = (Path(__file__).parents[1] / "transforms" / "models" / "000_macros.sql").read_text()
    con.execute(macros.split("-- X + N months")[0])  # add_years only
    days = [dt.date(2023, 1, 1) + dt.timedelta(days=i) for i in range(4 * 366)]
    for years in (-1, -2, 3):
        got = con.execute(
            "SELECT list(add_years(d, ?) ORDER BY d) FROM unnest(?::DATE[]) t(d)", [years, days]
        ).fetchall()[0][0]
        assert got == [add_years(d, years) for d in days]
    assert add_years(dt.date(2024, 2, 29), -1) == dt.date(2023, 2, 28)


def test_expiry_after_is_the_first_day_out_of_the_window() -> None:
    """expiry_after(x, n): the first day d with d - n years >= x (credit-rules.md), searched day
    by day here, for every day of four years around two 29 Februaries."""
    con = duckdb.connect()
    macros = (Path(__file__).parents[1] / "transforms" / "models" / "000_macros.sql").read_text()
    con.execute(macros.split("-- D3 (importers/exporters)")[0])  # the calendar macros
    days = [dt.date(2023, 1, 1) + dt.timedelta(days=i) for i in range(4 * 366)]
    for years in (1, 2, 3, 4):
        got = con.execute(
            "SELECT list(expiry_after(d, ?) ORDER BY d) FROM unnest(?::DATE[]) t(d)",
            [years, days],
        ).fetchall()[0][0]
        expected = []
        for x in days:
            d = add_years(x, years) - dt.timedelta(days=3)
            while add_years(d, -years) < x:
                d += dt.timedelta(days=1)
            expected.append(d)
        assert got == expected
    assert got[days.index(dt.date(2024, 2, 29))] == dt.date(2028, 2, 29)  # years = 4


def _run(folder: Path, workers: int) -> tuple[list[tuple], dict[str, float]]:
    con = duckdb.connect()
    try:
        with work_catalogs(con) as catalogs:
            timings = run_models(con, load_graph(folder), catalogs, {"n": "5"}, workers)
            rows = con.execute(f"SELECT * FROM {catalogs.shared}.total").fetchall()
        return rows, timings
    finally:
        con.close()


# A small graph: 020_b calls the macro (in capitals), 030_c only names it in a string, 010_a
# only in a comment.
SMALL_GRAPH = {
    "000_macros.sql": "CREATE OR REPLACE TEMP MACRO sq(x) AS x * x;",
    "010_a.sql": "CREATE OR REPLACE TEMP TABLE a AS SELECT range AS i "
    "FROM range(param('n'));  -- sq( in a comment",
    "020_b.sql": "CREATE OR REPLACE TEMP TABLE b AS SELECT SQ (i) AS s FROM a;",
    "030_c.sql": "CREATE OR REPLACE TEMP TABLE c AS SELECT i + 100 AS t, 'sq(' AS label FROM a;",
    "040_total.sql": "CREATE OR REPLACE TEMP TABLE total AS "
    "SELECT (SELECT sum(s) FROM b) AS s, (SELECT sum(t) FROM c) AS t;",
}


def test_parallel_run_equals_sequential_run(tmp_path: Path) -> None:
    folder = _write(tmp_path, SMALL_GRAPH)
    sequential, timings = _run(folder, 1)
    parallel, _ = _run(folder, 2)
    assert sequential == parallel == [(30, 510)]
    assert list(timings) == ["010_a", "020_b", "030_c", "040_total"]


def test_only_the_models_calling_a_macro_wait_for_the_macros(tmp_path: Path) -> None:
    graph = load_graph(_write(tmp_path, SMALL_GRAPH))
    assert {m.stem: m.uses_macros for m in graph.models} == {
        "010_a": False,
        "020_b": True,
        "030_c": True,  # a string that looks like a call: waiting is harmless
        "040_total": False,
    }
    con = duckdb.connect()
    with work_catalogs(con) as catalogs:
        run_models(con, graph, catalogs, {"n": "5"}, 2)
        squares = con.execute(f"SELECT list(s ORDER BY s) FROM {catalogs.shared}.b").fetchall()
        assert squares == [([0, 1, 4, 9, 16],)]


def test_a_failing_model_is_named_and_the_work_catalog_is_dropped(tmp_path: Path) -> None:
    folder = _write(
        tmp_path,
        {
            "010_a.sql": "CREATE OR REPLACE TEMP TABLE a AS SELECT 1 AS v;",
            "020_b.sql": "CREATE OR REPLACE TEMP TABLE b AS SELECT no_such_column FROM a;",
            "030_c.sql": "CREATE OR REPLACE TEMP TABLE c AS SELECT v FROM b;",
        },
    )
    con = duckdb.connect()
    failed = pytest.raises(RuntimeError, match=r"model 020_b failed: .*no_such_column")
    with failed, work_catalogs(con) as catalogs:
        run_models(con, load_graph(folder), catalogs, {}, 2)
    databases = con.execute("SELECT database_name FROM duckdb_databases()").fetchall()
    catalogs = {r[0] for r in databases}
    assert not any(name.startswith("cc_work_") for name in catalogs)


VIEW_GRAPH = {
    "010_a.sql": "CREATE OR REPLACE TEMP TABLE a AS SELECT range AS i FROM range(4);",
    "020_v.sql": "CREATE OR REPLACE TEMP VIEW v AS SELECT sum(i) AS s FROM a;",
    "030_b.sql": "CREATE OR REPLACE TEMP TABLE b AS SELECT s * 10 AS t FROM v, range(3);",
    "040_c.sql": "CREATE OR REPLACE TEMP TABLE c AS SELECT t + 1 AS u FROM b;",
}


def test_a_view_model_is_created_in_the_shared_catalog_and_read_like_a_table(tmp_path) -> None:
    graph = load_graph(_write(tmp_path, VIEW_GRAPH))
    assert [(m.table, m.kind, sorted(m.deps)) for m in graph.models] == [
        ("a", "TABLE", []),
        ("v", "VIEW", ["a"]),
        ("b", "TABLE", ["v"]),
        ("c", "TABLE", ["b"]),
    ]
    con = duckdb.connect()
    with work_catalogs(con) as catalogs:
        run_models(con, graph, catalogs, {}, 2)
        assert con.execute(f"SELECT DISTINCT t FROM {catalogs.shared}.b").fetchall() == [(60,)]
        kinds = con.execute(
            "SELECT table_name, table_type FROM information_schema.tables "
            f"WHERE table_catalog = '{catalogs.shared}' ORDER BY 1"
        ).fetchall()
    assert kinds == [("a", "BASE TABLE"), ("b", "BASE TABLE"), ("c", "BASE TABLE"), ("v", "VIEW")]


def test_a_view_may_not_read_a_table_built_in_a_catalog_of_its_own(tmp_path) -> None:
    con = duckdb.connect()
    refused = pytest.raises(ValueError, match=r"view 020_v reads \['a'\], built in catalogs")
    with refused, work_catalogs(con, ["a"]) as catalogs:
        run_models(con, load_graph(_write(tmp_path, VIEW_GRAPH)), catalogs, {}, 2)


def test_a_transaction_does_not_see_tables_built_after_it_first_read_their_catalog() -> None:
    """Why the tables the marts transaction reads late are built in catalogs of their own."""
    con = duckdb.connect()
    con.execute("ATTACH ':memory:' AS w; CREATE TABLE w.a AS SELECT 1 AS v")
    con.execute("BEGIN TRANSACTION")
    assert con.execute("SELECT v FROM w.a").fetchall() == [(1,)]
    other = con.cursor()
    other.execute("CREATE TABLE w.b AS SELECT 2 AS v")
    with pytest.raises(duckdb.CatalogException, match="b does not exist"):
        con.execute("SELECT v FROM w.b")
    con.execute("ROLLBACK")
    assert con.execute("SELECT v FROM w.b").fetchall() == [(2,)]


def test_main_steps_run_in_one_transaction_after_their_models_one_at_a_time(tmp_path) -> None:
    """The steps run on the connection itself while models still run; the table read last was
    built in a catalog of its own, so the open transaction sees it."""
    graph = load_graph(_write(tmp_path, VIEW_GRAPH))
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    con.execute("CREATE TABLE copied (relation VARCHAR, n BIGINT)")
    running: list[str] = []
    most_at_once = 0

    def step(sql: str) -> Callable[[], None]:
        def run() -> None:
            nonlocal most_at_once
            running.append(sql)
            most_at_once = max(most_at_once, len(running))
            con.execute(sql)
            running.remove(sql)

        return run

    with work_catalogs(con, ["c"]) as catalogs:
        shared, own = catalogs.shared, catalogs.of("c")
        steps = [
            MainTask("begin", frozenset(), step("BEGIN TRANSACTION")),
            MainTask(
                "copy v",
                frozenset({"begin", "v"}),
                step(f"INSERT INTO copied SELECT 'v', count(*) FROM {shared}.v"),
            ),
            MainTask(
                "copy c",
                frozenset({"copy v", "c"}),
                step(f"INSERT INTO copied SELECT 'c', count(*) FROM {own}.c"),
            ),
        ]
        timings = run_models(con, graph, catalogs, {}, 2, main_tasks=steps)
        con.execute("COMMIT")
    assert con.execute("SELECT * FROM copied ORDER BY 1").fetchall() == [("c", 3), ("v", 1)]
    assert most_at_once == 1
    assert list(timings) == ["010_a", "020_v", "030_b", "040_c"]  # the steps are not models


def test_a_failing_main_step_stops_the_run(tmp_path) -> None:
    def fail() -> None:
        raise RuntimeError("the copy failed")

    con = duckdb.connect()
    stopped = pytest.raises(RuntimeError, match="the copy failed")
    with stopped, work_catalogs(con) as catalogs:
        steps = [MainTask("copy", frozenset({"a"}), fail)]
        run_models(con, load_graph(_write(tmp_path, VIEW_GRAPH)), catalogs, {}, 2, main_tasks=steps)
    assert con.execute("SELECT 1").fetchall() == [(1,)]  # the connection is usable


# 020 reads the warehouse schema `derived`, which a check elsewhere may still be rebuilding.
GATED_GRAPH = {
    "010_a.sql": "CREATE OR REPLACE TEMP TABLE a AS SELECT sum(range) AS s FROM range(100000);",
    "020_d.sql": "CREATE OR REPLACE TEMP TABLE d AS SELECT v FROM derived.t;  -- not staging.x",
    "030_f.sql": "CREATE OR REPLACE TEMP TABLE f AS SELECT 1 AS one;",
}


class _NeverAsked(Future):
    """Earlier timings still being read: the runner must not wait for them."""

    def result(self, timeout: float | None = None) -> dict[str, float]:
        raise AssertionError("the runner waited for the earlier timings")


def test_only_the_models_reading_a_gated_schema_wait_for_the_gate(tmp_path) -> None:
    graph = load_graph(_write(tmp_path, GATED_GRAPH))
    assert [m.stem for m in graph.models if m.reads_schema("derived")] == ["020_d"]
    assert not any(m.reads_schema("staging") for m in graph.models)  # comments do not count
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    con.execute("CREATE SCHEMA derived")
    gate: Future[bool] = Future()
    order: list[str] = []

    def progress(model: str, seconds: float) -> None:
        order.append(model)
        if len(order) == 2:  # the check ends after both free models ran, creating what 020 reads
            con.cursor().execute("CREATE TABLE derived.t AS SELECT 7 AS v")
            gate.set_result(False)

    with work_catalogs(con) as catalogs:
        run_models(con, graph, catalogs, {}, 2, progress, _NeverAsked(), gates={"derived": gate})
        assert con.execute(f"SELECT v FROM {catalogs.shared}.d").fetchall() == [(7,)]
    assert sorted(order[:2]) == ["010_a", "030_f"] and order[2] == "020_d"


def test_a_failed_gate_stops_the_run(tmp_path) -> None:
    gate: Future[bool] = Future()
    gate.set_exception(RuntimeError("the derived rebuild failed"))
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    stopped = pytest.raises(RuntimeError, match="the derived rebuild failed")
    with stopped, work_catalogs(con) as catalogs:
        run_models(
            con, load_graph(_write(tmp_path, GATED_GRAPH)), catalogs, {}, 2, gates={"derived": gate}
        )
    assert con.execute("SELECT 1").fetchall() == [(1,)]


@pytest.mark.parametrize(("b", "c", "first"), [(1.0, 100.0, "030_c"), (100.0, 1.0, "020_b")])
def test_one_worker_runs_the_longest_remaining_chain_first(tmp_path, b, c, first) -> None:
    """b and c are ready together after a: the earlier run's seconds decide, once read."""
    timings: Future[dict[str, float]] = Future()
    timings.set_result({"010_a": 1.0, "020_b": b, "030_c": c, "040_total": 1.0})
    order: list[str] = []
    con = duckdb.connect()
    with work_catalogs(con) as catalogs:
        graph = load_graph(_write(tmp_path, SMALL_GRAPH))
        run_models(con, graph, catalogs, {"n": "5"}, 1, lambda m, s: order.append(m), timings)
    assert order[1] == first
    with work_catalogs(con) as catalogs:  # timings still being read: not waited for
        run_models(con, graph, catalogs, {"n": "5"}, 1, previous=_NeverAsked())


def test_previous_seconds_are_the_median_of_each_models_latest_runs() -> None:
    con = duckdb.connect()
    con.execute(
        "CREATE SCHEMA ops; CREATE TABLE ops.model_timings (run_id VARCHAR, as_of DATE, "
        "model VARCHAR, seconds DOUBLE, recorded_at TIMESTAMPTZ)"
    )
    assert last_model_seconds(con) == {}
    # run 0 is the oldest (9 s, left out); the latest five of 010_a: 1, 2, 3, 4, 100
    for run, seconds in enumerate([9.0, 1.0, 2.0, 100.0, 3.0, 4.0]):
        con.execute(
            "INSERT INTO ops.model_timings VALUES (?, DATE '2026-06-30', '010_a', ?, "
            "TIMESTAMPTZ '2026-06-30 00:00:00+00' + to_minutes(?))",
            [f"run-{run}", seconds, run],
        )
    con.execute(
        "INSERT INTO ops.model_timings VALUES ('run-5', DATE '2026-06-30', '020_b', 0.5, now())"
    )
    assert last_model_seconds(con) == {"010_a": 3.0, "020_b": 0.5}


MART_ROWS = (
    "SELECT (SELECT list((customs_code, assessed_level, blockers) ORDER BY customs_code) "
    "FROM marts.eligibility_snapshot), "
    "(SELECT count(*) FROM marts.rule_outcomes), "
    "(SELECT count(*) FROM marts.enterprise_indicators), "
    "(SELECT list(run_id) FROM marts.evaluations)"
)


def _world_with_two_enterprises(world) -> None:
    world.enterprise("2201000001")
    world.enterprise("2201000002", level="advanced", level_since="2022-01-01")
    world.declarations("2201000001", 2025, 40)
    world.case("2201000002", decided="2026-01-10", fine=2_000_000)


def test_a_model_failing_late_leaves_the_marts_as_they_were(world, tmp_path, monkeypatch) -> None:
    """A failure in the graph's last model changes no mart, and leaves the connection usable."""
    import transforms.engine as engine

    _world_with_two_enterprises(world)
    world.evaluate("2026-06-30", run_id="good")
    before = world.con.sql(MART_ROWS).fetchall()
    folder = tmp_path / "models"
    folder.mkdir()
    for path in model_files():
        text = path.read_text(encoding="utf-8")
        if path.name.startswith("120_"):  # the last model: every other mart table is copied
            text = text.replace("SELECT", "SELECT no_such_column,", 1)
        (folder / path.name).write_text(text, encoding="utf-8")
    monkeypatch.setattr(engine, "model_graph", lambda: load_graph(folder))
    with pytest.raises(RuntimeError, match=r"model 120_eligibility_snapshot failed"):
        world.evaluate("2026-06-30", run_id="broken")
    assert world.con.sql(MART_ROWS).fetchall() == before
    monkeypatch.undo()
    world.evaluate("2026-06-30", run_id="again")
    assert world.con.sql(MART_ROWS).fetchall()[0][:3] == before[0][:3]
    assert world.con.sql("SELECT run_id FROM marts.evaluations").fetchall() == [("again",)]


def test_the_evaluation_tunes_settings_while_it_runs_and_restores_them(world) -> None:
    """threads = 1 per model and the optimizers that do not pay at this size off, during the
    evaluation only (both settings are global to the database)."""
    import transforms.engine as engine

    _world_with_two_enterprises(world)
    world.con.execute("SET threads = 3; SET disabled_optimizers = 'top_n'")
    seen: list[tuple] = []

    def progress(model: str, seconds: float) -> None:
        cursor = world.con.cursor()
        settings = "SELECT current_setting('threads'), current_setting('disabled_optimizers')"
        seen.append(cursor.execute(settings).fetchall()[0])
        cursor.close()

    engine.evaluate(world.con, dt.date(2026, 6, 30), progress=progress)
    assert {(threads, frozenset(off.split(","))) for threads, off in seen} == {
        (1, frozenset({"top_n", *engine.OPTIMIZERS_OFF}))
    }
    settings = "SELECT current_setting('threads'), current_setting('disabled_optimizers')"
    assert world.con.execute(settings).fetchall() == [(3, "top_n")]
