"""The rule engine: bind a rulebook, run the SQL models in order, replace T's marts atomically."""

from __future__ import annotations

import datetime as dt
import functools
import logging
import time
import tomllib
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from transforms.model_graph import ModelGraph, load_graph
from transforms.model_runner import Progress, run_models, work_catalog
from transforms.rulebook import Rulebook, rulebook_for
from warehouse import derived

EXPLANATIONS = Path(__file__).parent / "explanations.toml"
# Marts replaced per as_of: target table -> the model tables it is written from.
MART_TABLES = {
    "marts.eligibility_snapshot": ("eligibility_snapshot",),
    "marts.rule_outcomes": ("breach_outcomes", "measured_outcomes"),
    "marts.enterprise_indicators": ("enterprise_indicators",),
}

RUN_VARIABLES = ("as_of", "run_id", "rulebook_id", "rulebook_provisional")

log = logging.getLogger(__name__)


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
    # The day numbers of W1's edges, for a lambda over a month's days: DuckDB does not fold a
    # constant expression inside a lambda (day(w1_after()) there cost 2x a literal).
    values.update(as_of_day=as_of.day, w1_after_day=add_years(as_of, -1).day)
    return {name: _sql_literal(value) for name, value in values.items()}


def bind_run(con: duckdb.DuckDBPyConnection, literals: dict[str, str]) -> None:
    """The run-level mart columns (as_of, run_id, ...) as variables for write_marts."""
    con.execute(";\n".join(f"SET VARIABLE {n} = {literals[n]}" for n in RUN_VARIABLES))


def _parameter_text(value: object) -> str:
    """A parameter as the rule_results view reads it back (numbers cast to DECIMAL there)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.date):
        return value.isoformat()
    return repr(value) if isinstance(value, float) else str(value)


def insert_rows(con: duckdb.DuckDBPyConnection, table: str, rows: list[tuple]) -> None:
    """Many small rows in one statement (executemany costs a round trip per row)."""
    if not rows:
        return
    marks = "(" + ", ".join("?" * len(rows[0])) + ")"
    con.execute(
        f"INSERT INTO {table} VALUES " + ", ".join([marks] * len(rows)),
        [v for row in rows for v in row],
    )


def record_rulebook(con: duckdb.DuckDBPyConnection, book: Rulebook) -> None:
    """The rulebook's rules and parameters, once per content (sha256), for rule_results."""
    known = con.execute(
        "SELECT count(*) FROM marts.rulebook_rules WHERE rulebook_sha256 = ?", [book.sha256]
    ).fetchall()[0][0]
    if known:
        return
    insert_rows(
        con,
        "marts.rulebook_rules",
        [
            (book.sha256, book.id, r.rule_id, r.basis, book.rule_provisional(r.rule_id))
            for r in book.rules.values()
        ],
    )
    insert_rows(
        con,
        "marts.rulebook_parameters",
        [(book.sha256, name, _parameter_text(p.value)) for name, p in book.params.items()],
    )


def explanation_rows(rule_ids: Iterable[str]) -> list[tuple[str, str, str, str]]:
    """Templates per (rule, variant); the '*' fallbacks filled in for every rule."""
    templates = _explanation_templates()
    fallback = templates.get("*", {})
    rows = []
    for rule_id in rule_ids:
        for variant, text in {**fallback, **templates.get(rule_id, {})}.items():
            rows.append((rule_id, variant, text["en"], text["zh"]))
    return rows


@functools.cache
def _explanation_templates() -> dict:
    """The templates are code: read once per process."""
    return tomllib.loads(EXPLANATIONS.read_text(encoding="utf-8"))


@functools.cache
def model_graph() -> ModelGraph:
    """The models are code: read once per process."""
    return load_graph()


_INSERT_SELECTS: dict[tuple[str, str], str] = {}


def _insert_select(con: duckdb.DuckDBPyConnection, target: str, catalog: str, table: str) -> str:
    """The target's columns from the model's table; run-level ones (as_of, run_id) from
    variables. Worked out once per process: every warehouse is brought to this code's schema
    when opened, and the models are code."""
    if (target, table) not in _INSERT_SELECTS:
        present = set(_column_names(con, f"{catalog}.{table}"))
        _INSERT_SELECTS[target, table] = ", ".join(
            c if c in present else f"getvariable('{c}') AS {c}" for c in _column_names(con, target)
        )
    return _INSERT_SELECTS[target, table]


def _column_names(con: duckdb.DuckDBPyConnection, relation: str) -> tuple[str, ...]:
    cursor = con.execute(f"SELECT * FROM {relation} LIMIT 0")
    names = tuple(d[0] for d in cursor.description)
    cursor.fetchall()
    return names


def record_templates(con: duckdb.DuckDBPyConnection, rows: list[tuple[str, str, str, str]]) -> None:
    """Replace the explanation templates when they differ from those on record."""
    on_record = con.execute(
        "SELECT rule_id, variant, en, zh FROM marts.explanation_templates ORDER BY ALL"
    ).fetchall()
    if on_record != sorted(rows):
        con.execute("DELETE FROM marts.explanation_templates")
        insert_rows(con, "marts.explanation_templates", rows)


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


def write_marts(
    con: duckdb.DuckDBPyConnection,
    catalog: str,
    book: Rulebook,
    as_of: dt.date,
    run_id: str,
    duration_s: float,
    model_seconds: dict[str, float],
) -> None:
    """Replace T's rows of every mart in one transaction; other dates stay as history."""
    con.execute("BEGIN TRANSACTION")
    try:
        for target, tables in MART_TABLES.items():
            con.execute(f"DELETE FROM {target} WHERE as_of = ?", [as_of])
            for table in tables:
                select = _insert_select(con, target, catalog, table)
                con.execute(f"INSERT INTO {target} BY NAME SELECT {select} FROM {catalog}.{table}")
        con.execute("DELETE FROM marts.rule_results_archive WHERE as_of = ?", [as_of])
        record_rulebook(con, book)
        record_templates(con, explanation_rows(book.rules))
        con.execute("DELETE FROM marts.evaluations WHERE as_of = ?", [as_of])
        con.execute(
            "INSERT INTO marts.evaluations VALUES (?, ?, ?, ?, ?, "
            f"(SELECT count(*) FROM {catalog}.eligibility_snapshot), current_timestamp, ?)",
            [as_of, book.id, book.sha256, book.provisional, run_id, duration_s],
        )
        recorded_at = dt.datetime.now(dt.UTC)
        insert_rows(
            con,
            "ops.model_timings",
            [(run_id, as_of, model, sec, recorded_at) for model, sec in model_seconds.items()],
        )
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise


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
    derived.ensure_in_step(con)
    threads = int(con.execute("SELECT current_setting('threads')").fetchall()[0][0])
    graph = model_graph()
    with work_catalog(con) as catalog:
        # Each model is single-threaded (its operators' set-up outweighs the few thousand rows
        # they split), and as many independent models as there are threads run side by side.
        con.execute("SET threads = 1")
        try:
            literals = run_literals(book, as_of, run_id)
            bind_run(con, literals)
            previous = last_model_seconds(con)
            timings = run_models(con, graph, catalog, literals, threads, progress, previous)
            counted = con.execute(
                "SELECT assessed_level, count(*), count(*) FILTER (advanced_ready) "
                f"FROM {catalog}.eligibility_snapshot GROUP BY 1 ORDER BY 1"
            ).fetchall()
            duration = time.perf_counter() - started
            write_marts(con, catalog, book, as_of, run_id, duration, timings)
        finally:
            con.execute(f"SET threads = {threads}")
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
