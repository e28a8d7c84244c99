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
    "marts.rule_results": "rule_results",
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
    """A rulebook value as a typed SQL literal: exact decimals, never binary floats."""
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
    for name, param in book.params.items():
        con.execute(f"SET VARIABLE {name} = {_sql_literal(param.value)}")
    con.execute(f"SET VARIABLE as_of = {_sql_literal(as_of)}")
    con.execute("SET VARIABLE run_id = ?", [run_id])
    con.execute("SET VARIABLE rulebook_id = ?", [book.id])
    con.execute(f"SET VARIABLE rulebook_provisional = {_sql_literal(book.provisional)}")
    con.execute(
        "CREATE OR REPLACE TEMP TABLE rulebook_rules "
        "(rule_id VARCHAR, basis VARCHAR, provisional BOOLEAN)"
    )
    con.executemany(
        "INSERT INTO rulebook_rules VALUES (?, ?, ?)",
        [(r.rule_id, r.basis, book.rule_provisional(r.rule_id)) for r in book.rules.values()],
    )
    con.execute(
        "CREATE OR REPLACE TEMP TABLE explanation_templates "
        "(rule_id VARCHAR, variant VARCHAR, en VARCHAR, zh VARCHAR)"
    )
    con.executemany(
        "INSERT INTO explanation_templates VALUES (?, ?, ?, ?)", explanation_rows(book.rules)
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


def _columns(con: duckdb.DuckDBPyConnection, qualified: str) -> list[str]:
    schema, table = qualified.split(".")
    rows = con.execute(
        "SELECT column_name FROM information_schema.columns "
        "WHERE table_schema = ? AND table_name = ? ORDER BY ordinal_position",
        [schema, table],
    ).fetchall()
    return [r[0] for r in rows]


def write_marts(
    con: duckdb.DuckDBPyConnection, book: Rulebook, as_of: dt.date, run_id: str, duration_s: float
) -> None:
    """Replace T's rows of every mart in one transaction; other dates stay as history."""
    con.execute("BEGIN TRANSACTION")
    try:
        for target, temp in MART_TABLES.items():
            temp_cols = set(_temp_columns(con, temp))
            select = ", ".join(
                c if c in temp_cols else f"getvariable('{c}') AS {c}" for c in _columns(con, target)
            )
            con.execute(f"DELETE FROM {target} WHERE as_of = ?", [as_of])
            con.execute(f"INSERT INTO {target} BY NAME SELECT {select} FROM {temp}")
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


def _temp_columns(con: duckdb.DuckDBPyConnection, temp: str) -> list[str]:
    return [r[0] for r in con.execute(f"DESCRIBE {temp}").fetchall()]


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
    bind_rulebook(con, book, as_of, run_id)
    timings = run_models(con, progress)
    duration = time.perf_counter() - started
    write_marts(con, book, as_of, run_id, duration)
    levels = dict(
        con.execute(
            "SELECT assessed_level, count(*) FROM eligibility_snapshot GROUP BY 1 ORDER BY 1"
        ).fetchall()
    )
    ready = con.execute(
        "SELECT count(*) FROM eligibility_snapshot WHERE advanced_ready"
    ).fetchall()[0][0]
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
