"""A plain CSV cut into byte ranges that DuckDB reads side by side, each numbering its own rows.

DuckDB numbers rows only WITH ORDINALITY, which reads a file on one thread. Cut at line ends into
one part per thread, a file is read in parallel anyway: every part is a single-threaded
`read_csv ... WITH ORDINALITY` (the parts of one UNION ALL run at the same time) and its row
numbers are shifted by the records before it. The parts reach DuckDB through named pipes fed
by threads (`os.sendfile`, no copy on disk), so nothing is written besides the warehouse.

A cut is only safe where a line end is a record end and the records before it can be counted
as line ends: the text before the last cut must have no quote (a quoted field may hold a line
end), no carriage return that does not end a line, and no blank line (DuckDB skips those without
numbering them). `plan_parts` returns None for a big file that breaks this.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import mmap
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

MIN_PART_BYTES = 16 << 20  # smaller files are read as one part: no pipes for small files
SCAN_CHUNK = 16 << 20  # line ends are counted in pieces this big (bounded memory)
PIPE_BYTES = 1 << 20  # pipe buffer asked for (Linux caps it at /proc/sys/fs/pipe-max-size)
SEND_BYTES = 4 << 20  # bytes per sendfile call; a cancelled feeder stops between calls
FINISH_SECONDS = 30.0  # after the read, how long a feeder may take to notice it is done


@dataclass(frozen=True)
class Part:
    start: int  # byte offset; the first part starts at 0 and holds the header
    end: int
    rows_before: int  # data records before this part (the first part: 0)


def plan_parts(path: Path, parts: int) -> list[Part] | None:
    """Cut `path` (UTF-8 CSV with a one-line header) into up to `parts` record-aligned parts:
    one part (the whole file) when it is small, None when it cannot be cut safely (see the
    module docstring)."""
    size = path.stat().st_size
    parts = min(parts, size // MIN_PART_BYTES)
    if parts < 2:
        return [Part(0, size, 0)]
    import numpy as np  # a pandas dependency; imported here, not on the CLI's import path

    with path.open("rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as mm:
        cuts = [0]
        for k in range(1, parts):
            at = mm.find(b"\n", size * k // parts)
            if at < 0 or at + 1 >= size or at + 1 <= cuts[-1]:
                return None
            cuts.append(at + 1)
        last = cuts[-1]
        if mm.find(b'"', 0, last) >= 0:
            return None
        data = np.frombuffer(mm, dtype=np.uint8, count=last)
        try:
            lines_before = _count_lines(data, cuts, mm.find(b"\r", 0, last) >= 0)
        finally:
            del data  # the mmap cannot close while numpy still points into it
    if lines_before is None:
        return None
    cuts.append(size)
    # The header is the first line of the first part.
    return [Part(cuts[k], cuts[k + 1], max(lines_before[k] - 1, 0)) for k in range(len(cuts) - 1)]


def _count_lines(data, cuts: list[int], has_cr: bool) -> list[int] | None:  # data: np.ndarray
    """Line ends before each cut, or None if a blank line or a stray CR makes them miscount."""
    import numpy as np

    if data[0] == 10 or (has_cr and data[0] == 13):
        return None  # a blank first line
    counts, seen = [0], 0
    bounds = sorted({*range(0, len(data), SCAN_CHUNK), *cuts[1:]})
    for lo, hi in zip(bounds, [*bounds[1:], len(data)], strict=True):
        # two bytes of the previous piece too: a pattern across the seam is seen
        seam = min(lo, 2)
        window = data[lo - seam : hi]
        lf = window == 10
        seen += int(np.count_nonzero(lf[seam:]))
        if hi in cuts[1:]:
            counts.append(seen)
        if bool(np.any(lf[1:] & lf[:-1])):
            return None  # "\n\n": a blank line
        if has_cr:
            cr = window == 13
            if bool(np.any(cr[:-1] & ~lf[1:])):
                return None  # a CR that does not end a line
            if bool(np.any(lf[:-2] & cr[1:-1] & lf[2:])):
                return None  # "\n\r\n": a blank line
    return counts


@contextlib.contextmanager
def served(path: Path, parts: list[Part]) -> Iterator[list[Path]]:
    """Named pipes, one per part, each fed with its bytes of `path` by a thread while DuckDB
    reads them (one part that is the whole file: the file itself).

    After the body (the read) every part must have been fed whole: a feeder that failed would
    otherwise look to DuckDB like a short file. On leaving, feeders still running stop."""
    if len(parts) == 1 and parts[0].start == 0 and parts[0].end == path.stat().st_size:
        yield [path]
        return
    folder = Path(tempfile.mkdtemp(prefix="customs-credit-csv-parts-"))  # pipes take no space
    stop = threading.Event()
    feeders: list[_Feeder] = []
    try:
        for k, part in enumerate(parts):
            pipe = folder / f"part{k}.csv"
            os.mkfifo(pipe, 0o600)
            feeders.append(_Feeder(path, part, pipe, stop))
        yield [f.pipe for f in feeders]
        for k, f in enumerate(feeders):
            f.join(FINISH_SECONDS)  # the reader has read every part to its end by now
            if not f.fed_whole():
                raise OSError(f"part {k} of {path} was not read whole") from f.error
    finally:
        stop.set()
        for f in feeders:
            f.release()
        shutil.rmtree(folder, ignore_errors=True)


class _Feeder:
    """Writes one part into its pipe once a reader opens it; stops when told to."""

    def __init__(self, path: Path, part: Part, pipe: Path, stop: threading.Event) -> None:
        self.pipe = pipe
        self.error: BaseException | None = None
        self._path = path
        self._part = part
        self._stop = stop
        self._sent = 0
        self._thread = threading.Thread(target=self._run, name=f"csv-{pipe.stem}", daemon=True)
        self._thread.start()

    def _open(self) -> int | None:
        # Non-blocking, polled: a reader that never comes (the query failed first) cannot
        # leave the thread stuck in open().
        while not self._stop.is_set():
            try:
                fd = os.open(self.pipe, os.O_WRONLY | os.O_NONBLOCK)
            except OSError as exc:
                if exc.errno != errno.ENXIO:  # ENXIO: no reader yet
                    raise
                time.sleep(0.002)
                continue
            fcntl.fcntl(fd, fcntl.F_SETFL, fcntl.fcntl(fd, fcntl.F_GETFL) & ~os.O_NONBLOCK)
            with contextlib.suppress(OSError, AttributeError):  # Linux only; a hint
                fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, PIPE_BYTES)
            return fd
        return None

    def _run(self) -> None:
        try:
            fd = self._open()
            if fd is None:
                return
            try:
                with self._path.open("rb") as src:
                    self._copy(src.fileno(), fd)
            finally:
                os.close(fd)
        except BaseException as exc:  # BrokenPipeError: the reader is gone (the read failed)
            self.error = exc

    def _copy(self, src: int, fd: int) -> None:
        at, end = self._part.start, self._part.end
        use_sendfile = True
        while at < end and not self._stop.is_set():
            n = min(end - at, SEND_BYTES)
            if use_sendfile:
                try:
                    sent = os.sendfile(fd, src, at, n)
                except OSError as exc:
                    if exc.errno not in (errno.EINVAL, errno.ENOSYS, errno.ENOTSOCK):
                        raise
                    use_sendfile = False  # no sendfile into a pipe here (macOS): copy
                    continue
            else:
                sent = os.write(fd, os.pread(src, n, at))
            if sent == 0:
                raise OSError(f"{self._path} ended at byte {at}, before {end}")
            at += sent
            self._sent = at - self._part.start

    def fed_whole(self) -> bool:
        return not self._thread.is_alive() and self._sent == self._part.end - self._part.start

    def join(self, timeout: float) -> None:
        self._thread.join(timeout)

    def release(self) -> None:
        """Stop the feeder: a write blocked on a reader that stopped reading is ended by
        draining the pipe until the thread is gone."""
        while self._thread.is_alive():
            with contextlib.suppress(OSError):
                fd = os.open(self.pipe, os.O_RDONLY | os.O_NONBLOCK)
                with contextlib.suppress(OSError):
                    while os.read(fd, PIPE_BYTES):
                        pass
                os.close(fd)
            self._thread.join(0.01)


__all__ = ["Part", "plan_parts", "served"]
