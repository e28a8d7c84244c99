"""The one place that adapts Great Expectations 1.x to DuckDB (see shared/stack-notes.md).

GX's SQL engine returns each pooled connection after a query and fetches rows afterwards; over
duckdb-engine that yields `MetricResolutionError: list index out of range` on every expectation.
GX keeps one persistent connection for the dialects listed in `_PERSISTED_CONNECTION_DIALECTS`
(sqlite, mssql, ...): adding duckdb there makes it work. tests/test_gx_patch.py fails if an
upgrade moves or changes that list.
"""

from __future__ import annotations

from typing import Any

DIALECT = "duckdb"
_MODULE = "great_expectations.execution_engine.sqlalchemy_execution_engine"


class _DuckDBDialect:
    """Quacks like a GXSqlDialect member: GX reads `.value` and compares it to dialect names."""

    value = DIALECT

    def __eq__(self, other: object) -> bool:
        name = getattr(other, "value", other)
        return isinstance(name, str) and name.lower() == DIALECT

    def __hash__(self) -> int:
        return hash(DIALECT)

    def __repr__(self) -> str:
        return "<GXSqlDialect.DUCKDB (customs-credit patch)>"


def is_patched() -> bool:
    import importlib

    module: Any = importlib.import_module(_MODULE)
    return DIALECT in module._PERSISTED_CONNECTION_DIALECTS


def apply() -> None:
    """Make GX keep one connection for duckdb. Idempotent; raises if GX changed its internals."""
    import importlib

    module: Any = importlib.import_module(_MODULE)
    current = getattr(module, "_PERSISTED_CONNECTION_DIALECTS", None)
    if not isinstance(current, tuple) or not hasattr(
        module, "_dialect_requires_persisted_connection"
    ):
        raise RuntimeError(
            f"great_expectations changed {_MODULE}._PERSISTED_CONNECTION_DIALECTS; "
            "revisit expectations/gx_patch.py"
        )
    if DIALECT not in current:
        module._PERSISTED_CONNECTION_DIALECTS = (*current, _DuckDBDialect())


def release(source: Any) -> None:
    """Close the connections of a GX SQL datasource, the persisted one included.

    With the patch GX holds its connection for the engine's lifetime and never closes it; left to
    the garbage collector, SQLAlchemy then tries to roll back a cursor that is already gone.
    """
    engine = source.get_execution_engine()
    connection = getattr(engine, "_connection", None)
    if connection is not None:
        connection.close()  # returns it to the pool (the writer's transaction is left alone)
        engine._connection = None
    engine.engine.dispose()
    source.get_engine().dispose()
