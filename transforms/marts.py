"""T's marts, replaced in one transaction on the pipeline's connection, step by step.

The steps are tasks of the model graph (transforms/model_runner.py): the transaction is opened
and T's rows cleared in a slot the models leave free, each mart is copied as soon as the models
it is written from are built, and only the last copy and the COMMIT wait for the whole graph.
Other dates stay as history. A failure anywhere rolls the whole transaction back.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Mapping

import duckdb

from transforms.explanation_texts import explanation_rows
from transforms.model_graph import ModelGraph, bind_values
from transforms.model_runner import MainTask, WorkCatalogs
from transforms.outcome_types import ensure_outcome_enums
from transforms.rulebook import Rulebook

# Marts replaced per as_of: target table -> the model tables it is written from.
MART_TABLES = {
    "marts.eligibility_snapshot": ("eligibility_snapshot",),
    "marts.rule_outcomes": ("breach_outcomes", "measured_outcomes"),
    "marts.enterprise_indicators": ("enterprise_indicators",),
}


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


_INSERT_SELECTS: dict[tuple[str, str], str] = {}


def _insert_select(con: duckdb.DuckDBPyConnection, target: str, catalog: str, table: str) -> str:
    """The target's columns from the model's table; run-level ones (as_of, run_id) as
    `getvariable('x')`, for bind_values. Worked out once per process: every warehouse is
    brought to this code's schema when opened, and the models are code."""
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


BEGIN = "marts: begin"  # the first step's name: every copy waits for it


class MartWrite:
    """Writes T's marts on `con`; `literals` are the run's (engine.run_literals). Owns `con`
    from the first step to finish()/abort(): the models run on cursors of their own."""

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        catalogs: WorkCatalogs,
        book: Rulebook,
        as_of: dt.date,
        run_id: str,
        literals: Mapping[str, str],
    ) -> None:
        self.con, self.catalogs, self.book = con, catalogs, book
        self.as_of, self.run_id, self.literals = as_of, run_id, literals
        self.open = False

    def steps(self) -> list[MainTask]:
        """Open and clear, then one copy per model table a mart is written from."""
        copies = [
            MainTask(
                f"marts: {table}",
                frozenset({BEGIN, table}),
                functools.partial(self.copy, target, table),
            )
            for target, tables in MART_TABLES.items()
            for table in tables
        ]
        return [MainTask(BEGIN, frozenset(), self.begin), *copies]

    def begin(self) -> None:
        con, as_of = self.con, self.as_of
        con.execute("BEGIN TRANSACTION")
        self.open = True
        ensure_outcome_enums(con)  # a new variant widens its ENUM, in this transaction
        for target in MART_TABLES:
            con.execute(f"DELETE FROM {target} WHERE as_of = ?", [as_of])
        con.execute("DELETE FROM marts.rule_results_archive WHERE as_of = ?", [as_of])
        con.execute("DELETE FROM marts.evaluations WHERE as_of = ?", [as_of])
        record_rulebook(con, self.book)
        record_templates(con, explanation_rows(self.book.rules))

    def copy(self, target: str, table: str) -> None:
        catalog = self.catalogs.of(table)
        select = bind_values(_insert_select(self.con, target, catalog, table), self.literals)
        self.con.execute(f"INSERT INTO {target} BY NAME SELECT {select} FROM {catalog}.{table}")

    def finish(
        self, duration_s: float, model_seconds: dict[str, float]
    ) -> list[tuple[str, int, int]]:
        """Record the evaluation and commit. Returns (assessed level, enterprises, of which
        advanced-ready) as written."""
        con, book = self.con, self.book
        snapshot = f"{self.catalogs.of('eligibility_snapshot')}.eligibility_snapshot"
        counted = con.execute(  # what was copied; the work table is smaller than the mart
            "SELECT assessed_level, count(*), count(*) FILTER (advanced_ready) "
            f"FROM {snapshot} GROUP BY 1 ORDER BY 1"
        ).fetchall()
        con.execute(
            "INSERT INTO marts.evaluations VALUES (?, ?, ?, ?, ?, ?, current_timestamp, ?)",
            [
                self.as_of,
                book.id,
                book.sha256,
                book.provisional,
                self.run_id,
                sum(n for _, n, _ in counted),
                duration_s,
            ],
        )
        recorded_at = dt.datetime.now(dt.UTC)
        insert_rows(
            con,
            "ops.model_timings",
            [(self.run_id, self.as_of, m, sec, recorded_at) for m, sec in model_seconds.items()],
        )
        con.execute("COMMIT")
        self.open = False
        return counted

    def abort(self) -> None:
        if self.open:
            self.open = False
            self.con.execute("ROLLBACK")


def late_read_tables(graph: ModelGraph) -> list[str]:
    """The model tables the marts transaction copies from: each is built in a catalog of its own
    (the transaction sees a catalog as at its first read of it). Views stay in the shared one."""
    sources = {table for tables in MART_TABLES.values() for table in tables}
    return [m.table for m in graph.models if m.kind == "TABLE" and m.table in sources]
