"""Watch the landing folder and announce each file once it is complete.

A file is complete when it was renamed into place (writers that write `x.csv.part` then rename),
or when its size and mtime have not changed for `settle_s` (writers that write in place). Only
then is `customs.file.landed` emitted: ingesting a half-copied file would reject a good batch.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer

from flows.sensor import AnnouncedFiles, is_candidate

log = logging.getLogger(__name__)


class _Handler(FileSystemEventHandler):
    def __init__(self, watcher: LandingWatcher) -> None:
        self.watcher = watcher

    def on_created(self, event: FileSystemEvent) -> None:
        if not event.is_directory:
            self.watcher.touched(Path(str(event.src_path)))

    def on_modified(self, event: FileSystemEvent) -> None:
        if not event.is_directory:
            self.watcher.touched(Path(str(event.src_path)))

    def on_closed(self, event: FileSystemEvent) -> None:  # inotify: writer closed the file
        if not event.is_directory:
            self.watcher.touched(Path(str(event.src_path)))

    def on_moved(self, event: FileSystemEvent) -> None:
        if not event.is_directory:
            self.watcher.renamed(Path(str(event.dest_path)))


class LandingWatcher:
    """watchdog observer + a settle loop; calls `announce(path)` once per complete file."""

    def __init__(
        self,
        landing: Path,
        announce: Callable[[Path], None],
        announced: AnnouncedFiles | None = None,
        settle_s: float = 1.0,
    ) -> None:
        self.landing = landing.resolve()
        self.announce = announce
        self.announced = announced or AnnouncedFiles()
        self.settle_s = settle_s
        # path -> (size, mtime_ns, monotonic time that signature was first seen)
        self._pending: dict[Path, tuple[int, int, float]] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._observer = Observer()
        self._settler = threading.Thread(
            target=self._settle_loop, name="landing-settle", daemon=True
        )
        self.emitted = 0

    def start(self) -> LandingWatcher:
        self.landing.mkdir(parents=True, exist_ok=True)
        self._observer.schedule(_Handler(self), str(self.landing), recursive=True)
        self._observer.start()
        self._settler.start()
        log.info(
            "watching %s (complete after rename or %.1f s without change)",
            self.landing,
            self.settle_s,
        )
        return self

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._observer.stop()
        self._observer.join(timeout)
        self._settler.join(timeout)

    # -- events ------------------------------------------------------------------------------

    def touched(self, path: Path) -> None:
        if not is_candidate(path, self.landing):
            return
        with self._lock:
            self._pending.setdefault(path, (-1, -1, time.monotonic()))

    def renamed(self, path: Path) -> None:
        """A rename into place is the writer saying "done": announce without waiting."""
        if not is_candidate(path, self.landing):
            return
        with self._lock:
            self._pending.pop(path, None)
        self._fire(path)

    # -- settling ----------------------------------------------------------------------------

    def _settle_loop(self) -> None:
        tick = min(0.25, self.settle_s / 4) if self.settle_s > 0 else 0.05
        while not self._stop.wait(tick):
            now = time.monotonic()
            ready: list[Path] = []
            with self._lock:
                for path, (size, mtime, since) in list(self._pending.items()):
                    try:
                        st = path.stat()
                    except FileNotFoundError:  # deleted or renamed away before settling
                        del self._pending[path]
                        continue
                    if (st.st_size, st.st_mtime_ns) != (size, mtime):
                        self._pending[path] = (st.st_size, st.st_mtime_ns, now)
                    elif now - since >= self.settle_s and st.st_size > 0:
                        del self._pending[path]
                        ready.append(path)
            for path in ready:
                self._fire(path)

    def _fire(self, path: Path) -> None:
        if not self.announced.claim(path):
            return
        try:
            self.announce(path)
            self.emitted += 1
        except Exception:  # the sensor will announce it on its next round
            self.announced.release(path)
            log.exception("could not announce %s", path)
