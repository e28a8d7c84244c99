"""The single-writer guard: a Prefect global concurrency limit around every warehouse write.

DuckDB allows one read-write process or many readers per file, never both. Served flow runs are
separate processes, so a per-process lock is not enough: every flow that opens the warehouse does
so inside `writer_slot()` (limit "warehouse-writer", 1 slot, strict), opens the connection inside
it and closes it before leaving. Two runs triggered together queue on the slot instead of failing
with "Could not set lock on file".
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import duckdb

from warehouse.settings import Settings

WRITER_LIMIT = "warehouse-writer"

log = logging.getLogger(__name__)

# Re-entrancy: a flow that holds the slot may call code that asks for it again (a subflow, a
# task that Prefect runs in another thread of the same process); the limit has one slot, so asking
# twice would wait forever. One flow run is one process, hence a process-wide count.
_held_lock = threading.RLock()
_held_depth = 0
_ensured: set[str] = set()
_ensure_lock = threading.Lock()


def ensure_writer_limit(limit: int = 1) -> None:
    """Create the global concurrency limit if it is missing (idempotent; once per process)."""
    from prefect import get_client
    from prefect.exceptions import ObjectNotFound

    with _ensure_lock:
        if WRITER_LIMIT in _ensured:
            return
        with get_client(sync_client=True) as client:
            try:
                existing = client.read_global_concurrency_limit_by_name(WRITER_LIMIT)
            except ObjectNotFound:
                existing = None
            if existing is None or existing.limit != limit or not existing.active:
                client.upsert_global_concurrency_limit_by_name(WRITER_LIMIT, limit)
        _ensured.add(WRITER_LIMIT)


def holds_writer_slot() -> bool:
    return _held_depth > 0


def _enter_held() -> None:
    global _held_depth
    with _held_lock:
        _held_depth += 1


def _leave_held() -> None:
    global _held_depth
    with _held_lock:
        _held_depth -= 1


@contextmanager
def writer_slot(purpose: str, timeout_s: float | None = None) -> Iterator[float]:
    """Hold the warehouse-writer slot; yields the seconds spent waiting for it."""
    if holds_writer_slot():
        _enter_held()
        try:
            yield 0.0
        finally:
            _leave_held()
        return
    from prefect.concurrency.sync import concurrency

    ensure_writer_limit()
    started = time.perf_counter()
    with concurrency(WRITER_LIMIT, occupy=1, strict=True, timeout_seconds=timeout_s):
        waited = time.perf_counter() - started
        if waited > 0.5:
            log.info("%s waited %.1f s for the warehouse writer slot", purpose, waited)
        _enter_held()
        try:
            yield waited
        finally:
            _leave_held()


@contextmanager
def open_writer(settings: Settings, purpose: str) -> Iterator[duckdb.DuckDBPyConnection]:
    """The writer slot plus a warehouse connection opened inside it and closed before leaving."""
    from warehouse.connection import connect

    with writer_slot(purpose):
        con = connect(settings)
        try:
            yield con
        finally:
            con.close()


@contextmanager
def open_reader(
    settings: Settings, purpose: str, timeout_s: float | None = None
) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only connection, also inside the slot: a reader blocks the writer in DuckDB."""
    from warehouse.connection import connect

    with writer_slot(purpose, timeout_s=timeout_s):
        con = connect(settings, read_only=True)
        try:
            yield con
        finally:
            con.close()
