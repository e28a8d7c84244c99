"""The SQL models as a dependency graph: which table each one builds, and which it reads.

Every model file (transforms/models/NNN_*.sql) builds one table with
`CREATE OR REPLACE TEMP TABLE <name> AS ...`, or defines one view with
`CREATE OR REPLACE TEMP VIEW <name> AS ...`; a model depends on every other model whose table or
view it mentions (outside comments). Files that build neither define the macros. File order
stays a valid order: a model's dependencies always come earlier (checked here).

A view costs nothing to create and is computed by each query that reads it: right for a model
only the marts read (its rows are appended once, to the mart, instead of twice) or a small one
read twice. It lives in the work catalog, so it may read only other models (a warehouse table
such as staging.x would be looked for in the work catalog, and the view is refused).

As written, the files run as they are in one DuckDB session (with the variables set). The engine
runs them bound: `param('name')` and `getvariable('name')` replaced by the run's typed literals,
tables and macros created in the evaluation's shared work catalog instead of the session's temp
schema, so several connections can run models side by side.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

MODELS_DIR = Path(__file__).parent / "models"
_BUILDS = re.compile(r"CREATE OR REPLACE TEMP (TABLE|VIEW) (\w+) AS", re.IGNORECASE)
_MACRO = re.compile(r"CREATE OR REPLACE TEMP MACRO (\w+)", re.IGNORECASE)
_COMMENT = re.compile(r"--[^\n]*")
_VALUE = re.compile(r"\b(?:param|getvariable)\('(\w+)'\)")


def bind_values(sql: str, literals: Mapping[str, str]) -> str:
    """`param('x')` / `getvariable('x')` replaced by the literal bound to x (typed, e.g.
    `CAST(3 AS INTEGER)`): every connection then sees the same values without setting any."""

    def literal(match: re.Match[str]) -> str:
        try:
            return literals[match.group(1)]
        except KeyError:
            raise ValueError(f"no value bound for {match.group(0)}") from None

    return _VALUE.sub(literal, sql)


@dataclass(frozen=True)
class Model:
    stem: str  # file name without .sql: the name timings and errors use
    table: str  # the table (or view) it builds
    sql: str
    deps: frozenset[str]  # tables of earlier models it reads
    uses_macros: bool = False  # calls a macro of the setup files (so waits for them)
    kind: str = "TABLE"  # or VIEW

    def bound_sql(self, catalog: str, literals: Mapping[str, str]) -> str:
        """The model writing its table (or view) into `catalog` (shared by connections) instead
        of the connection's own temp schema; readers find it there through the search path."""
        built_in = _BUILDS.sub(
            f"CREATE OR REPLACE {self.kind} {catalog}.main.{self.table} AS", self.sql, 1
        )
        return bind_values(built_in, literals)

    def reads_schema(self, schema: str) -> bool:
        """Does the model name a table of the warehouse schema `schema` (e.g. derived.x)?"""
        return schema in self._qualifiers

    @functools.cached_property
    def _qualifiers(self) -> frozenset[str]:
        """Every name written before a dot outside comments: schemas, catalogs, aliases."""
        return frozenset(re.findall(r"\b(\w+)\.\w", _COMMENT.sub("", self.sql)))

    def bound_query(self, literals: Mapping[str, str]) -> str:
        """The query the model builds its table (or view) from, bound (for profiling)."""
        return bind_values(_BUILDS.sub("", self.sql, 1), literals)


@dataclass(frozen=True)
class ModelGraph:
    setup: tuple[str, ...]  # the macro files
    models: tuple[Model, ...]  # in file order, which respects dependencies

    def remaining_path(self, seconds: Mapping[str, float] | None = None) -> dict[str, float]:
        """Per table, the cost of the longest chain of models from it to the end: what must
        still run after it starts, at best. Costs are the seconds a previous run measured (by
        model stem) when it measured every model, else the SQL's length stands in."""
        known = seconds is not None and all(m.stem in seconds for m in self.models)
        longest: dict[str, float] = {}
        for model in reversed(self.models):
            cost = seconds[model.stem] if known and seconds is not None else len(model.sql)
            after = [longest[m.table] for m in self.models if model.table in m.deps]
            longest[model.table] = cost + max(after, default=0)
        return longest

    def bound_setup(self, catalog: str, literals: Mapping[str, str]) -> str:
        """The macros, created in `catalog` once for every connection of the evaluation."""
        sql = "\n".join(self.setup)
        return bind_values(_MACRO.sub(rf"CREATE OR REPLACE MACRO {catalog}.main.\1", sql), literals)


def model_files(folder: Path = MODELS_DIR) -> list[Path]:
    return sorted(folder.glob("*.sql"))


def load_graph(folder: Path = MODELS_DIR) -> ModelGraph:
    setup: list[str] = []
    models: list[Model] = []
    built: set[str] = set()
    texts = [(p, p.read_text(encoding="utf-8")) for p in model_files(folder)]
    tables: dict[Path, tuple[str, str]] = {}  # path -> (TABLE or VIEW, name)
    for path, sql in texts:
        names = _BUILDS.findall(_COMMENT.sub("", sql))
        if len(names) > 1:
            raise ValueError(f"model {path.name} builds {len(names)} relations; one model, one")
        if names:
            tables[path] = names[0]
    macros = [m for path, sql in texts if path not in tables for m in _MACRO.findall(sql)]
    calls = re.compile(rf"\b(?:{'|'.join(macros)})\s*\(", re.IGNORECASE) if macros else None
    relations = {name for _, name in tables.values()}
    for path, sql in texts:
        if path not in tables:
            setup.append(sql)
            continue
        code = _COMMENT.sub("", sql)
        kind, table = tables[path]
        reads = {t for t in relations if t != table and re.search(rf"\b{t}\b", code)}
        later = reads - built
        if later:
            raise ValueError(f"model {path.name} reads {sorted(later)}, built by a later model")
        uses_macros = bool(calls and calls.search(code))
        models.append(Model(path.stem, table, sql, frozenset(reads), uses_macros, kind.upper()))
        built.add(table)
    return ModelGraph(tuple(setup), tuple(models))
