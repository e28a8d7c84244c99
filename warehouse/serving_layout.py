"""Where the serving copy lives on disk, and the atomic file operations that switch it.

<serving>/
    serving.duckdb              views over one version's Parquet (what BI tools open, read-only)
    CURRENT                     the version serving.duckdb points to (one line)
    versions/<version>/         Parquet files + manifest.json + views.sql, never changed once named
    versions/.partial-<version> a version being written (renamed when complete)
    .serving-<version>.duckdb   the next serving file, being written (os.replace'd when complete)
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

PARTIAL_PREFIX = ".partial-"
SERVING_TMP_PREFIX = ".serving-"


@dataclass(frozen=True)
class ServingLayout:
    root: Path

    @property
    def versions_dir(self) -> Path:
        return self.root / "versions"

    @property
    def serving_db(self) -> Path:
        return self.root / "serving.duckdb"

    @property
    def current_file(self) -> Path:
        return self.root / "CURRENT"

    def version_dir(self, version: str) -> Path:
        return self.versions_dir / version

    def partial_dir(self, version: str) -> Path:
        return self.versions_dir / f"{PARTIAL_PREFIX}{version}"

    def serving_tmp(self, version: str) -> Path:
        return self.root / f"{SERVING_TMP_PREFIX}{version}.duckdb"

    def read_current(self) -> str | None:
        try:
            text = self.current_file.read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            return None
        return text or None

    def versions(self) -> list[str]:
        """Complete versions, oldest first (names sort by time)."""
        if not self.versions_dir.is_dir():
            return []
        return sorted(
            p.name for p in self.versions_dir.iterdir() if p.is_dir() and not p.name.startswith(".")
        )

    def leftovers(self) -> list[Path]:
        """Debris of publishes that died before finishing (safe to delete: single writer)."""
        found: list[Path] = []
        if self.versions_dir.is_dir():
            found += [p for p in self.versions_dir.iterdir() if p.name.startswith(PARTIAL_PREFIX)]
        if self.root.is_dir():
            found += [p for p in self.root.iterdir() if p.name.startswith(SERVING_TMP_PREFIX)]
        return sorted(found)


def new_version_name(now: datetime | None = None) -> str:
    """A UTC timestamp to the microsecond: fixed width, so names sort in publish order."""
    now = now or datetime.now(UTC)
    return now.astimezone(UTC).strftime("%Y%m%dT%H%M%S.%fZ")


def fsync_path(path: Path) -> None:
    """Flush a file (or a directory entry list) to disk, so a rename never points at nothing."""
    flags = os.O_RDONLY | (os.O_DIRECTORY if path.is_dir() else 0)
    fd = os.open(path, flags)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write_text(path: Path, text: str) -> None:
    """Readers see the old content or the new, never a half-written file."""
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    fsync_path(path.parent)


def remove_path(path: Path) -> None:
    if path.is_dir():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)
