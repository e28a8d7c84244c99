"""The rule engine: bind a rulebook, run the SQL models in order, replace T's marts atomically."""

from __future__ import annotations

import datetime as dt
import logging
import time
import tomllib
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from transforms.rulebook import Rulebook, rulebook_for
from warehouse import derived

MODELS_DIR = Path(__file__).parent / "models"
EXPLANATIONS = Path(__file__).parent / "explanations.toml"
# Marts replaced per as_of: target table -> temp table the models leave behind.
MART_TABLES = {
    "marts.eligibility_snapshot": "eligibility_snapshot",
    "marts.rule_outcomes": "rule_outcomes",
    "marts.enterprise_indicators": "enterprise_indicators",
}

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


def bind_rulebook(
    con: duckdb.DuckDBPyConnection, book: Rulebook, as_of: dt.date, run_id: str
) -> None:
    """Expose T, the run and every parameter to the SQL models as DuckDB variables."""
    settings = [(name, _sql_literal(param.value)) for name, param in book.params.items()]
    settings += [
        ("as_of", _sql_literal(as_of)),
        ("run_id", _sql_literal(run_id)),
        ("rulebook_id", _sql_literal(book.id)),
        ("rulebook_provisional", _sql_literal(book.provisional)),
    ]
    # one round trip: a statement each costs ~0.4 ms, and there are 40
    con.execute(";\n".join(f"SET VARIABLE {name} = {value}" for name, value in settings))


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
    templates = tomllib.loads(EXPLANATIONS.read_text(encoding="utf-8"))
    fallback = templates.get("*", {})
    rows = []
    for rule_id in rule_ids:
        for variant, text in {**fallback, **templates.get(rule_id, {})}.items():
            rows.append((rule_id, variant, text["en"], text["zh"]))
    return rows


def model_files() -> list[Path]:
    return sorted(MODELS_DIR.glob("*.sql"))


def run_models(
    con: duckdb.DuckDBPyConnection, progress: Callable[[str, float], None] | None = None
) -> dict[str, float]:
    timings: dict[str, float] = {}
    for path in model_files():
        started = time.perf_counter()
        try:
            con.execute(path.read_text(encoding="utf-8"))
        except duckdb.Error as exc:
            raise RuntimeError(f"model {path.name} failed: {exc}") from exc
        timings[path.stem] = time.perf_counter() - started
        if progress:
            progress(path.stem, timings[path.stem])
    return timings


_INSERT_SELECTS: dict[tuple[str, str], str] = {}


def _insert_select(con: duckdb.DuckDBPyConnection, target: str, temp: str) -> str:
    """The target's columns from the temp table; run-level ones (as_of, run_id) from variables.
    Worked out once per process: every warehouse is brought to this code's schema when opened."""
    if (target, temp) not in _INSERT_SELECTS:
        present = set(_column_names(con, temp))
        _INSERT_SELECTS[target, temp] = ", ".join(
            c if c in present else f"getvariable('{c}') AS {c}" for c in _column_names(con, target)
        )
    return _INSERT_SELECTS[target, temp]


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


def write_marts(
    con: duckdb.DuckDBPyConnection, book: Rulebook, as_of: dt.date, run_id: str, duration_s: float
) -> None:
    """Replace T's rows of every mart in one transaction; other dates stay as history."""
    con.execute("BEGIN TRANSACTION")
    try:
        for target, temp in MART_TABLES.items():
            select = _insert_select(con, target, temp)
            con.execute(f"DELETE FROM {target} WHERE as_of = ?", [as_of])
            con.execute(f"INSERT INTO {target} BY NAME SELECT {select} FROM {temp}")
        con.execute("DELETE FROM marts.rule_results_archive WHERE as_of = ?", [as_of])
        record_rulebook(con, book)
        record_templates(con, explanation_rows(book.rules))
        con.execute("DELETE FROM marts.evaluations WHERE as_of = ?", [as_of])
        con.execute(
            "INSERT INTO marts.evaluations VALUES (?, ?, ?, ?, ?, "
            "(SELECT count(*) FROM eligibility_snapshot), current_timestamp, ?)",
            [as_of, book.id, book.sha256, book.provisional, run_id, duration_s],
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
    progress: Callable[[str, float], None] | None = None,
) -> EvaluationResult:
    """Evaluate every enterprise at T and replace T's rows in the marts."""
    started = time.perf_counter()
    book = rulebook_for(as_of, rulebook_path)
    run_id = run_id or f"local-{uuid.uuid4()}"
    derived.ensure_in_step(con)
    threads = con.execute("SELECT current_setting('threads')").fetchall()[0][0]
    # Every model reads a few thousand rows per enterprise set: one thread beats two here
    # (~15% measured), the coordination costs more than the work it splits.
    con.execute("SET threads = 1")
    try:
        bind_rulebook(con, book, as_of, run_id)
        timings = run_models(con, progress)
        duration = time.perf_counter() - started
        write_marts(con, book, as_of, run_id, duration)
    finally:
        con.execute(f"SET threads = {int(threads)}")
    counted = con.execute(
        "SELECT assessed_level, count(*), count(*) FILTER (advanced_ready) "
        "FROM eligibility_snapshot GROUP BY 1 ORDER BY 1"
    ).fetchall()
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
