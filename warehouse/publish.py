"""Publish the BI-safe serving copy: Parquet per dataset + a small DuckDB file of views.

Readers never open the warehouse (DuckDB allows one writer OR many readers per file). They open
<serving>/serving.duckdb read-only; each publish writes a new version folder and a new serving
file beside the old one and switches with os.replace, so a reader sees the old copy or the new,
never a mix, and never holds a lock the pipeline needs. See docs/serving.md.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb

from warehouse.errors import UserError
from warehouse.serving_datasets import DATASETS, export_datasets
from warehouse.serving_layout import (
    ServingLayout,
    atomic_write_text,
    fsync_path,
    new_version_name,
    remove_path,
)
from warehouse.serving_views import build_serving_db, views_script
from warehouse.settings import Settings, load_settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PublishResult:
    version: str
    version_dir: Path
    serving_db: Path
    rows: dict[str, int]
    bytes_written: int
    duration_s: float
    pruned: list[str] = field(default_factory=list)


def publish(
    settings: Settings,
    *,
    keep_versions: int = 5,
    con: duckdb.DuckDBPyConnection | None = None,
) -> PublishResult:
    """Export the marts and drill-down facts as a new version and switch readers to it.

    `con` is the pipeline's warehouse connection (the single writer); without one, publish opens
    the warehouse itself. Only committed data is published. On any failure the previous serving
    copy stays as it was.
    """
    if keep_versions < 1:
        raise UserError(f"--keep must be at least 1, got {keep_versions}")
    started = time.perf_counter()
    layout = ServingLayout(Path(settings.serving))
    own_con = con is None
    if con is None:
        con = _open_warehouse(settings)
    try:
        layout.versions_dir.mkdir(parents=True, exist_ok=True)
        for debris in layout.leftovers():  # from a publish that died; we are the only writer
            remove_path(debris)
        version = _next_version(layout)
        published_at = datetime.now(UTC)
        try:
            version_dir, rows = _write_version(con, layout, version, published_at, settings)
            tmp_db = layout.serving_tmp(version)
            build_serving_db(
                tmp_db,
                version=version,
                version_dir=version_dir,
                rows=rows,
                published_at=published_at,
                source_warehouse=str(Path(settings.warehouse).resolve()),
            )
        except BaseException:
            remove_path(layout.partial_dir(version))
            remove_path(layout.version_dir(version))
            remove_path(layout.serving_tmp(version))
            raise
        switch_serving(layout, version)
        pruned = prune_versions(layout, keep_versions)
        result = PublishResult(
            version=version,
            version_dir=version_dir,
            serving_db=layout.serving_db,
            rows=rows,
            bytes_written=sum(p.stat().st_size for p in version_dir.rglob("*") if p.is_file()),
            duration_s=round(time.perf_counter() - started, 3),
            pruned=pruned,
        )
        _record_run(con, result, published_at)
        return result
    finally:
        if own_con:
            con.close()


def _open_warehouse(settings: Settings) -> duckdb.DuckDBPyConnection:
    from warehouse.connection import connect

    try:
        return connect(settings)
    except duckdb.IOException as exc:
        if "lock" in str(exc).lower():
            raise UserError(f"the warehouse is in use by another process: {exc}") from exc
        raise


def _next_version(layout: ServingLayout) -> str:
    version = new_version_name()
    existing = layout.versions()
    if existing and version <= existing[-1]:  # clock went back, or two publishes in 1 us
        last = datetime.strptime(existing[-1], "%Y%m%dT%H%M%S.%fZ").replace(tzinfo=UTC)
        version = new_version_name(last + timedelta(microseconds=1))
    return version


def _write_version(
    con: duckdb.DuckDBPyConnection,
    layout: ServingLayout,
    version: str,
    published_at: datetime,
    settings: Settings,
) -> tuple[Path, dict[str, int]]:
    """Write the Parquet under a partial name; rename it to the version once complete."""
    partial = layout.partial_dir(version)
    final = layout.version_dir(version)
    partial.mkdir(parents=True)
    previous = _previous_partitions(layout, str(Path(settings.warehouse).resolve()))
    cur = con.cursor()  # its own transaction: one consistent committed state for every file
    try:
        cur.execute("BEGIN TRANSACTION")
        rows, partitioned = export_datasets(cur, partial, previous)
        cur.execute("COMMIT")
    finally:
        cur.close()
    datasets: dict[str, dict] = {}
    for ds in DATASETS:
        datasets[ds.name] = {"file": ds.file_name, "rows": rows[ds.name]}
        if ds.name in partitioned:  # where the next publish finds reusable files: the final name
            datasets[ds.name]["render"] = partitioned[ds.name]["render"]
            datasets[ds.name]["partitions"] = partitioned[ds.name]["partitions"]
    manifest = {
        "version": version,
        "published_at_utc": published_at.isoformat(),
        "source_warehouse": str(Path(settings.warehouse).resolve()),
        "written_by_duckdb": duckdb.__version__,
        "datasets": datasets,
    }
    (partial / "manifest.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    (partial / "views.sql").write_text(views_script(final), encoding="utf-8")
    for p in sorted(partial.rglob("*"), key=lambda q: -len(q.parts)):  # files, then folders
        fsync_path(p)
    os.replace(partial, final)
    fsync_path(layout.versions_dir)
    return final, rows


def _previous_partitions(layout: ServingLayout, source: str) -> dict[str, dict]:
    """The current version's files by as_of (from its manifest), for reuse; {} when unusable
    or published from another warehouse."""
    current = layout.read_current()
    if not current:
        return {}
    folder = layout.version_dir(current)
    try:
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if manifest.get("source_warehouse") != source:
        return {}
    out = {}
    for name, entry in manifest.get("datasets", {}).items():
        if "partitions" in entry:
            out[name] = {
                "folder": str(folder / name),
                "render": entry.get("render"),
                "partitions": entry["partitions"],
            }
    return out


def switch_serving(layout: ServingLayout, version: str) -> None:
    """The atomic switch: readers opening serving.duckdb from now on get `version`."""
    os.replace(layout.serving_tmp(version), layout.serving_db)
    fsync_path(layout.root)
    atomic_write_text(layout.current_file, version + "\n")


def prune_versions(layout: ServingLayout, keep_versions: int) -> list[str]:
    """Delete versions older than the newest `keep_versions`, never the CURRENT one.

    A reader that opened serving.duckdb before a switch still reads its old version's Parquet,
    so old versions stay for `keep_versions` publishes rather than going at once.
    """
    versions = layout.versions()
    current = layout.read_current()
    pruned: list[str] = []
    for version in versions[: max(0, len(versions) - keep_versions)]:
        if version == current:
            continue
        remove_path(layout.version_dir(version))
        pruned.append(version)
    return pruned


def _record_run(
    con: duckdb.DuckDBPyConnection, result: PublishResult, published_at: datetime
) -> None:
    """Note the publish in ops.runs; the switch has happened, so a failure here only warns."""
    details = {"version": result.version, "rows": result.rows, "pruned": result.pruned}
    try:
        con.execute(
            """INSERT INTO ops.runs (run_id, flow, as_of, status, started_at, finished_at, details)
            VALUES (?, 'publish', (SELECT max(as_of) FROM marts.eligibility_snapshot),
                    'succeeded', ?, ?, ?)""",
            [str(uuid.uuid4()), published_at, datetime.now(UTC), json.dumps(details)],
        )
    except duckdb.Error as exc:
        log.warning("publish %s: could not record the run in ops.runs: %s", result.version, exc)


# --- CLI: `customs-credit publish [--keep N]` -------------------------------------------------


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--keep",
        type=int,
        default=5,
        metavar="N",
        help="versions to keep (older ones are deleted; the current one never is); default 5",
    )


def run(args: argparse.Namespace) -> int:
    settings = load_settings(args.warehouse)
    result = publish(settings, keep_versions=args.keep)
    print(f"published version {result.version} in {result.duration_s:.2f} s")
    print(f"  serving file: {result.serving_db}")
    print(f"  parquet:      {result.version_dir} ({result.bytes_written / 1e6:.1f} MB)")
    for name, rows in result.rows.items():
        print(f"  {name:30s} {rows:>12,d} rows")
    if result.pruned:
        print(f"  pruned {len(result.pruned)} old version(s)")
    return 0
