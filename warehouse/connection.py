"""The one place that opens the warehouse: settings, offline mode, schema."""

from __future__ import annotations

import tempfile
from pathlib import Path

import duckdb

from warehouse.settings import Settings, force_offline


def duckdb_config(settings: Settings) -> dict[str, object]:
    temp_dir = settings.warehouse.parent / ".duckdb_tmp"
    return {
        # DuckDB cannot download extensions here; a missing one must fail fast, not hang.
        "autoinstall_known_extensions": False,
        "autoload_known_extensions": False,
        "memory_limit": settings.memory_limit,
        "threads": settings.threads,
        "temp_directory": str(temp_dir)
        if settings.warehouse.parent.exists()
        else tempfile.gettempdir(),
        "preserve_insertion_order": False,
    }


def connect(settings: Settings, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open the warehouse file (the single writer unless read_only) with the schema in place."""
    force_offline()
    path = Path(settings.warehouse)
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(path), read_only=read_only, config=duckdb_config(settings))
    if not read_only:
        from warehouse.schema import ensure_schema

        ensure_schema(con)
    return con
