"""Which landing files still need ingesting, and the once-a-minute sensor that reconciles them.

The watcher gives low latency but misses files that landed while it was down. The sensor closes
that gap: every minute it lists the landing folder, fingerprints each file (sha256, cached by
path, size and mtime, so a file is hashed once), compares with ops.ingest_ledger and emits
`customs.file.landed` for files whose content was never accepted. It also notices accepted
batches that no snapshot covers yet (a refresh that failed, or an event lost) and asks for a
refresh. Files that were just announced are not announced again for a grace period, so the
watcher and the sensor do not start two runs for one file.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from warehouse.ledger import sha256_of
from warehouse.settings import Settings

log = logging.getLogger(__name__)

# Names a writer uses while a file is incomplete; the final rename makes it a candidate.
TEMP_SUFFIXES = (".tmp", ".part", ".partial", ".crdownload", ".download", ".swp", "~")


def is_candidate(path: Path, landing: Path) -> bool:
    """A file ingestion should see: not hidden/underscore, not temporary, not in rejected/.

    Other unsupported names are candidates on purpose: ingestion rejects them with a reason and
    moves them to rejected/, which tells the sender more than silence would.
    """
    try:
        rel = path.relative_to(landing)
    except ValueError:
        return False
    parts = rel.parts
    if not parts or parts[0] == "rejected":
        return False
    if any(p.startswith(("_", ".")) for p in parts):
        return False
    name = parts[-1].lower()
    return not (name.endswith(TEMP_SUFFIXES) or name.endswith(".reason.json"))


def landing_files(landing: Path) -> list[Path]:
    """Candidate files under the landing folder (recursively), oldest first."""
    if not landing.is_dir():
        return []
    files = [p for p in landing.rglob("*") if p.is_file() and is_candidate(p, landing)]
    return sorted(files, key=lambda p: (p.stat().st_mtime_ns, str(p)))


@dataclass
class FingerprintCache:
    """sha256 per (path, size, mtime): a landing folder full of old files is hashed once."""

    _by_key: dict[tuple[str, int, int], str] = field(default_factory=dict)

    def sha256(self, path: Path) -> str:
        st = path.stat()
        key = (str(path), st.st_size, st.st_mtime_ns)
        digest = self._by_key.get(key)
        if digest is None:
            digest = sha256_of(path)
            self._by_key = {k: v for k, v in self._by_key.items() if k[0] != key[0]}
            self._by_key[key] = digest
        return digest


def accepted_sha256(con: duckdb.DuckDBPyConnection) -> set[str]:
    return {
        r[0]
        for r in con.execute(
            "SELECT DISTINCT sha256 FROM ops.ingest_ledger WHERE status = 'accepted'"
        ).fetchall()
    }


def pending_files(files: Iterable[Path], accepted: set[str], cache: FingerprintCache) -> list[Path]:
    """Files whose content no accepted batch holds (a re-dropped rejected file is pending)."""
    pending = []
    for path in files:
        try:
            if cache.sha256(path) not in accepted:
                pending.append(path)
        except FileNotFoundError:  # moved away (rejected/) between listing and hashing
            continue
    return pending


def refresh_needed(con: duckdb.DuckDBPyConnection, older_than_s: float = 0.0) -> bool:
    """True when an accepted batch finished after the latest evaluation.

    `older_than_s` ignores batches younger than that: their own refresh is probably under way.
    (A publish that lags its evaluation is not checked here: that is a run in progress, or a
    failed one, which alerts on its own.)
    """
    last_batch, last_eval = con.execute(
        """SELECT
             (SELECT max(finished_at) FROM ops.ingest_ledger
               WHERE status = 'accepted'
                 AND finished_at <= current_timestamp - to_seconds(?::DOUBLE)),
             (SELECT max(evaluated_at) FROM marts.evaluations)""",
        [older_than_s],
    ).fetchone()
    return last_batch is not None and (last_eval is None or last_eval < last_batch)


class AnnouncedFiles:
    """Files announced recently (by the watcher or the sensor), shared within the serve process."""

    def __init__(self, grace_s: float = 600.0) -> None:
        self.grace_s = grace_s
        self._seen: dict[tuple[str, int, int], float] = {}
        self._lock = threading.Lock()

    @staticmethod
    def _key(path: Path) -> tuple[str, int, int] | None:
        try:
            st = path.stat()
        except FileNotFoundError:
            return None
        return (str(path.resolve()), st.st_size, st.st_mtime_ns)

    def claim(self, path: Path) -> bool:
        """True if the caller should announce `path` now (not announced in the grace period)."""
        key = self._key(path)
        if key is None:
            return False
        now = time.monotonic()
        with self._lock:
            self._seen = {k: t for k, t in self._seen.items() if now - t < self.grace_s}
            if key in self._seen:
                return False
            self._seen[key] = now
            return True

    def release(self, path: Path) -> None:
        """Forget `path` (its announcement failed), so the next round may announce it again."""
        with self._lock:
            self._seen = {k: t for k, t in self._seen.items() if k[0] != str(path.resolve())}


@dataclass
class SensorRound:
    files: int = 0
    pending: int = 0
    announced: int = 0
    refresh_requested: bool = False
    skipped: str | None = None
    seconds: float = 0.0


def reconcile_once(
    settings: Settings,
    cache: FingerprintCache,
    announced: AnnouncedFiles,
    announce: Callable[[Path], None],
    request_refresh: Callable[[], None],
    stale_after_s: float = 90.0,
    in_flight: Callable[[], set[str]] = set,
) -> SensorRound:
    """One sensor round: announce unknown landing files; ask for a refresh if the snapshot lags.

    `in_flight` names the paths that already have an ingest run queued or running (a long burst
    can outlast the announcement grace period): those are not announced again.
    """
    from flows.deployments_writer import open_reader

    started = time.perf_counter()
    result = SensorRound()
    files = landing_files(settings.landing)
    result.files = len(files)
    if not Path(settings.warehouse).exists():
        accepted: set[str] = set()
        stale = False
    else:
        try:
            # The slot keeps us from opening the file while a flow run writes it; give up this
            # round rather than queue behind a long evaluation.
            with open_reader(settings, "sensor", timeout_s=20) as con:
                accepted = accepted_sha256(con)
                stale = refresh_needed(con, stale_after_s)
        except (duckdb.IOException, TimeoutError) as exc:
            result.skipped = f"warehouse busy: {exc}"
            result.seconds = time.perf_counter() - started
            return result
    pending = pending_files(files, accepted, cache)
    result.pending = len(pending)
    busy = in_flight() if pending else set()
    for path in pending:
        if str(path.resolve()) in busy:
            continue
        if announced.claim(path):
            try:
                announce(path)
            except Exception:
                announced.release(path)
                raise
            result.announced += 1
    if stale and not pending:
        request_refresh()
        result.refresh_requested = True
    result.seconds = time.perf_counter() - started
    return result


class Sensor:
    """Runs `reconcile_once` every `interval_s` in a daemon thread until stopped."""

    def __init__(self, round_fn: Callable[[], SensorRound], interval_s: float = 60.0) -> None:
        self.round_fn = round_fn
        self.interval_s = interval_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="landing-sensor", daemon=True)
        self.rounds: list[SensorRound] = []

    def start(self) -> Sensor:
        self._thread.start()
        return self

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                r = self.round_fn()
                self.rounds = (self.rounds + [r])[-100:]
                if r.skipped:
                    log.info("sensor: skipped (%s)", r.skipped)
                elif r.announced or r.refresh_requested:
                    log.info(
                        "sensor: %d files, %d pending, %d announced, refresh %s, %.2f s",
                        r.files,
                        r.pending,
                        r.announced,
                        r.refresh_requested,
                        r.seconds,
                    )
            except Exception:  # one bad round must not stop reconciliation
                log.exception("sensor round failed")
            self._stop.wait(self.interval_s)

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout)
