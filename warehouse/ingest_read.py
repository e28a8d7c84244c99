"""The first step of a batch: fingerprint the file and read its rows into staging.<kind>.

The rows are inserted inside a transaction that is left open: validation reads them there, then
the caller commits them with the ledger row or rolls them back (warehouse/ingest.py). A file
already accepted (same sha256) is a duplicate: nothing is read into the warehouse.

- Fast path (a clean UTF-8 CSV, warehouse/ingest_stage.py): the sha256 is computed on a thread
  while the main thread plans the file's parts, and the rows go straight from the file into
  staging once it is known not to be a duplicate (the batch id holds the sha256).
- Other files (and the fast path's fallback): read into the in-memory batch while the sha256 is
  computed beside it; a duplicate interrupts the read. Then copied into staging.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from warehouse.contract import KINDS, Kind
from warehouse.ingest_batch import LoadedBatch, drop_batch, load_batch
from warehouse.ingest_stage import NotClean, insert_direct, insert_from_batch, plan_direct
from warehouse.ingest_types import BatchRejected
from warehouse.ledger import accepted_batch_for, sha256_of
from warehouse.readers import file_format, reject

# Kinds loaded first so later files can resolve their references; the rest follow KINDS order.
KIND_ORDER = [
    "enterprises",
    "declarations",
    *[k for k in KINDS if k not in ("enterprises", "declarations")],
]


@dataclass
class ReadBatch:
    """What reading a file gave. Exactly one of duplicate_of, error, loaded is set; only with
    `loaded` is a transaction open (the caller's to end)."""

    sha256: str
    batch_id: str | None = None
    duplicate_of: str | None = None  # the accepted batch with the same content
    error: BatchRejected | None = None  # the content was rejected while reading
    loaded: LoadedBatch | None = None  # rows in staging; table = the batch's temp view
    earlier_rows: bool = False  # staging.<kind> held rows before this batch
    timings: dict[str, float] = field(default_factory=dict)


def read_batch(
    con: duckdb.DuckDBPyConnection,
    kind: Kind | None,
    path: Path,
    temp_dir: Path,
    threads: int,
    new_batch_id: Callable[[str], str],
) -> ReadBatch:
    """Fingerprint `path` and, unless it is a duplicate or unreadable, put its rows in staging."""
    t0 = time.perf_counter()
    fingerprint = Fingerprint(con, path, kind.name if kind is not None else None)
    try:
        direct = None if kind is None else plan_direct(kind, path, temp_dir, threads)
    except BatchRejected as rejected:
        return _finish_unread(fingerprint, rejected, t0)
    except BaseException:
        fingerprint.result_quietly()
        raise
    fast = True
    if direct is not None:
        assert kind is not None
        try:
            sha, earlier = fingerprint.result()
            wait = time.perf_counter() - t0
            if earlier is not None:
                return ReadBatch(sha, duplicate_of=earlier, timings={"hash": wait})
            result = ReadBatch(sha, batch_id=new_batch_id(sha), timings={"hash": wait})
            con.execute("BEGIN TRANSACTION")
            try:
                result.earlier_rows = _has_rows(con, kind)
                result.loaded = insert_direct(con, direct, result.batch_id or "")
                result.timings["read"] = time.perf_counter() - t0 - wait
                return result
            except BatchRejected as rejected:
                rollback(con)
                result.error = rejected
                return result
            except NotClean as not_clean:
                rollback(con)
                # Not UTF-8 after all: transcoded and read the fast way in memory; otherwise
                # the robust way at once (the fast one would fail again).
                fast = not_clean.unicode
            except BaseException:
                rollback(con)
                raise
        finally:
            direct.src.cleanup()
    return _read_in_memory(con, kind, path, temp_dir, fingerprint, new_batch_id, t0, fast)


def _read_in_memory(
    con: duckdb.DuckDBPyConnection,
    kind: Kind | None,
    path: Path,
    temp_dir: Path,
    fingerprint: Fingerprint,
    new_batch_id: Callable[[str], str],
    t0: float,
    fast: bool,
) -> ReadBatch:
    if kind is None:
        return _finish_unread(fingerprint, _unknown_kind(path), t0)
    fingerprint.allow_interrupt()
    try:
        loaded = load_batch(con, kind, path, temp_dir, fast=fast)
    except BatchRejected as rejected:
        return _finish_unread(fingerprint, rejected, t0)
    except duckdb.InterruptException:
        drop_batch(con, kind)
        if fingerprint.result()[1] is None:  # not interrupted for a duplicate
            raise
        loaded = None
    except BaseException:
        fingerprint.result_quietly()
        drop_batch(con, kind)
        raise
    t_hash = time.perf_counter()
    sha, earlier = fingerprint.result()
    timings = {"hash": time.perf_counter() - t_hash}  # the wait beyond the read
    if earlier is not None or loaded is None:
        drop_batch(con, kind)
        return ReadBatch(sha, duplicate_of=earlier, timings=timings)
    result = ReadBatch(sha, batch_id=new_batch_id(sha), timings=timings)
    con.execute("BEGIN TRANSACTION")
    try:
        result.earlier_rows = _has_rows(con, kind)
        result.loaded = insert_from_batch(con, kind, loaded, result.batch_id or "")
    except BaseException:
        rollback(con)
        drop_batch(con, kind)
        raise
    result.timings["read"] = time.perf_counter() - t0 - timings["hash"]
    return result


def _finish_unread(fingerprint: Fingerprint, rejected: BatchRejected, t0: float) -> ReadBatch:
    """A file rejected before any row was read: still a duplicate if its content was accepted."""
    sha, earlier = fingerprint.result()
    timings = {"hash": time.perf_counter() - t0}
    if earlier is not None:
        return ReadBatch(sha, duplicate_of=earlier, timings=timings)
    return ReadBatch(sha, error=rejected, timings=timings)


def _unknown_kind(path: Path) -> BatchRejected:
    try:
        file_format(path)  # an unsupported type is the more useful reason
    except BatchRejected as rejected:
        return rejected
    return reject(
        "unknown_kind",
        f"the file name does not start with a known kind ({', '.join(KIND_ORDER)})",
    )


def _has_rows(con: duckdb.DuckDBPyConnection, kind: Kind) -> bool:
    return bool(con.execute(f"SELECT count(*) FROM staging.{kind.name}").fetchall()[0][0])


def rollback(con: duckdb.DuckDBPyConnection) -> None:
    # No transaction may be open (it failed before BEGIN took effect).
    with contextlib.suppress(duckdb.Error):
        con.execute("ROLLBACK")


class Fingerprint:
    """The file's sha256 computed on a thread, and the accepted batch that already holds it.

    The ledger is looked up through a cursor of `con` (the writer may be busy reading the file).
    Between `allow_interrupt()` and `result()` (an in-memory read), a duplicate interrupts what
    `con` runs, so a duplicate costs about its hash; the fast path waits for the hash instead."""

    def __init__(self, con: duckdb.DuckDBPyConnection, path: Path, kind: str | None) -> None:
        self._con = con
        self._kind = kind
        self._cursor = con.cursor()
        self._path = path
        self._value: tuple[str, str | None] | None = None
        self._error: BaseException | None = None
        self._lock = threading.Lock()
        self._interruptible = False
        self._thread = threading.Thread(target=self._run, name="ingest-sha256", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            sha = sha256_of(self._path)
            earlier = accepted_batch_for(self._cursor, sha, self._kind)
            self._value = (sha, earlier)
            with self._lock:
                if earlier is not None and self._interruptible:
                    self._con.interrupt()
        except BaseException as exc:
            self._error = exc
        finally:
            self._cursor.close()

    def allow_interrupt(self) -> None:
        with self._lock:
            self._interruptible = True

    def result(self) -> tuple[str, str | None]:
        """(sha256, batch id of the accepted batch with the same content or None)."""
        with self._lock:
            self._interruptible = False
        self._thread.join()
        if self._error is not None:
            raise self._error
        assert self._value is not None
        return self._value

    def result_quietly(self) -> None:
        with self._lock:
            self._interruptible = False
        self._thread.join()


__all__ = ["KIND_ORDER", "Fingerprint", "ReadBatch", "read_batch", "rollback"]
