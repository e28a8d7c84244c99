"""The one place that opens the warehouse: settings, offline mode, schema."""

from __future__ import annotations

import logging
import re
import tempfile
import time
from pathlib import Path

import duckdb

from warehouse.errors import WarehouseBusy
from warehouse.settings import Settings, force_offline

log = logging.getLogger(__name__)
_HOLDER = re.compile(r"Conflicting lock is held in (.*?) \(PID (\d+)\)")


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
        # Kept, not returned to the OS: an evaluation builds ~60 small hash tables of 2 MB each
        # (DuckDB's initial size), and fresh pages fault in one by one (15k faults an evaluation
        # at 10M -> 5.5k, 4-11% faster, measured; peak RSS +100 MB).
        "block_allocator_memory": settings.block_pool,
    }


def connect(settings: Settings, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open the warehouse file (the single writer unless read_only) with the schema in place."""
    force_offline()
    path = Path(settings.warehouse)
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    con = _open_waiting(path, read_only, settings)
    if not read_only:
        from warehouse.schema import ensure_schema

        ensure_schema(con)
    return con


def _open_waiting(path: Path, read_only: bool, settings: Settings) -> duckdb.DuckDBPyConnection:
    """DuckDB lets one process write a file (and none read it meanwhile): another process's
    hold is waited out for up to settings.lock_wait_s, then reported naming the holder."""
    deadline = time.monotonic() + settings.lock_wait_s
    delay = 0.05
    warned = False
    while True:
        try:
            return duckdb.connect(str(path), read_only=read_only, config=duckdb_config(settings))
        except duckdb.IOException as exc:
            holder = _HOLDER.search(str(exc))
            if "Could not set lock" not in str(exc):
                raise
            who = f"PID {holder.group(2)} ({holder.group(1)})" if holder else "another process"
            if time.monotonic() >= deadline:
                raise WarehouseBusy(
                    f"warehouse {path} is in use by {who}; waited {settings.lock_wait_s:g} s "
                    "(CUSTOMS_CREDIT_LOCK_WAIT). Try again when it has finished."
                ) from None
            if not warned:
                warned = True
                log.warning(
                    "warehouse %s is in use by %s: waiting up to %g s",
                    path,
                    who,
                    settings.lock_wait_s,
                )
            time.sleep(min(delay, max(0.0, deadline - time.monotonic())))
            delay = min(delay * 2, 1.0)
