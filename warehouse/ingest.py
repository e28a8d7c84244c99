"""Validated, atomic ingestion of landing files (docs/ingestion.md).

One file is one batch:
  fingerprint (sha256; an already accepted file is a duplicate and changes nothing)
  -> BEGIN; the rows into staging.<kind> (typed, batch_id, source_row)   warehouse/ingest_read.py
  -> pandera contract, chunked                         expectations/contracts.py
  -> checks against loaded data                        warehouse/ingest_checks.py
  -> GX quality gate                                   expectations/gx_validate.py
  -> replaced rows to raw.<kind>_superseded + ledger + warnings + quality results; COMMIT
     (or, when rejected: ROLLBACK; then ledger + rejections, and the file is set aside with a
     reason file). Any failure before COMMIT rolls everything back.
"""

from __future__ import annotations

import json
import logging
import shutil
import time
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import duckdb

from warehouse.contract import KINDS, Kind, kind_of_file
from warehouse.errors import UserError
from warehouse.ingest_batch import LoadedBatch, drop_batch
from warehouse.ingest_checks import batch_findings, orphan_rows_sql
from warehouse.ingest_read import KIND_ORDER, ReadBatch, read_batch, rollback
from warehouse.ingest_stage import drop_view
from warehouse.ingest_types import BatchRejected, Finding, IngestReport
from warehouse.ledger import LedgerEntry, new_batch_id, write_findings, write_ledger
from warehouse.readers import file_format
from warehouse.readers_sql import guaranteed_columns
from warehouse.settings import Settings
from warehouse.staging_merge import ensure_history_views, merge_batch

TIMEZONE = ZoneInfo("Asia/Shanghai")
log = logging.getLogger(__name__)
PROGRESS_BYTES = 64 << 20  # files at least this big report each stage through `progress`
REASON_SUFFIX = ".reason.json"

Progress = Callable[[str], None]

__all__ = ["IngestReport", "expand_paths", "ingest_file", "ingest_paths"]


def today_in_shanghai() -> date:
    return datetime.now(TIMEZONE).date()


def ingest_file(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    path: Path,
    *,
    load_date: date | None = None,
    progress: Progress | None = None,
    before_commit: Callable[[duckdb.DuckDBPyConnection], None] | None = None,
    data_docs: bool = True,
) -> IngestReport:
    """Validate and load one file as one batch; never half-loads.

    A bad file is rejected (report status 'rejected', file set aside with `<file>.reason.json`);
    the same content twice is a 'duplicate'. Anything else that goes wrong (I/O, a crash of the
    quality gate, `before_commit` raising) propagates after rolling back: the warehouse is as it
    was, and the file stays where it is.

    The GX result of a batch the quality gate judged is kept for the Data Docs
    (expectations/gx_docs.py); with data_docs=True its page and the index are rendered now,
    otherwise by the caller's next `update_data_docs` (once per ingest command).
    """
    kept: list[Any] = []
    report = _ingest_file(con, settings, Path(path), load_date, progress, before_commit, kept)
    if kept and report.batch_id:
        _keep_for_docs(settings, report, kept[-1], build=data_docs)
    return report


def _keep_for_docs(settings: Settings, report: IngestReport, result: Any, *, build: bool) -> None:
    """Store the batch's GX result (and render its page): a failure here only logs a warning,
    the verdict is already committed (ops.quality_results holds the same results)."""
    from expectations import gx_docs

    t = time.perf_counter()
    try:
        gx_docs.keep_result(settings, result, batch_id=report.batch_id or "")
        if build:
            gx_docs.update_data_docs(settings)
    except Exception as exc:
        log.warning("Data Docs of %s not updated: %s: %s", report.batch_id, type(exc).__name__, exc)
    report.timings["data_docs"] = time.perf_counter() - t


def _ingest_file(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    path: Path,
    load_date: date | None,
    progress: Progress | None,
    before_commit: Callable[[duckdb.DuckDBPyConnection], None] | None,
    kept: list[Any],
) -> IngestReport:
    load_date = load_date or today_in_shanghai()
    started = datetime.now(UTC)
    t0 = time.perf_counter()
    say = progress if progress is not None and path.stat().st_size >= PROGRESS_BYTES else None
    kind_name = kind_of_file(path.name)
    kind = KINDS.get(kind_name) if kind_name else None
    ensure_history_views(con)

    # The rows go into staging inside a transaction left open: validation reads them there, and
    # they are committed with the ledger row or rolled back (warehouse/ingest_read.py).
    read = read_batch(
        con,
        kind,
        path,
        settings.warehouse.parent / ".ingest_tmp",
        settings.threads,
        lambda sha: new_batch_id(kind_name, sha, started),
    )
    try:
        return _judge_and_write(
            con, settings, path, kind, read, started, t0, say, load_date, before_commit, kept
        )
    finally:
        if kind is not None:
            drop_batch(con, kind)  # an in-memory batch, once the transaction has ended


def _judge_and_write(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    path: Path,
    kind: Kind | None,
    read: ReadBatch,
    started: datetime,
    t0: float,
    say: Progress | None,
    load_date: date,
    before_commit: Callable[[duckdb.DuckDBPyConnection], None] | None,
    kept: list[Any],
) -> IngestReport:
    """Validate the rows `read` put in staging, then commit them with the ledger row, or roll
    them back and record the rejection."""
    kind_name = kind.name if kind is not None else kind_of_file(path.name)
    timings = dict(read.timings)
    if read.duplicate_of is not None:
        return _duplicate(con, path, kind_name, read.duplicate_of, t0, timings)

    batch_id = read.batch_id or new_batch_id(kind_name, read.sha256, started)
    entry = dict(
        batch_id=batch_id,
        kind=kind_name,
        file_name=path.name,
        file_path=str(path),
        sha256=read.sha256,
        size_bytes=path.stat().st_size,
        started_at=started,
    )
    loaded = read.loaded
    findings: list[Finding] = []
    gx_rows: list[tuple] = []
    try:
        if read.error is not None:
            raise read.error
        assert kind is not None and loaded is not None
        if say:
            say(f"{path.name}: read {loaded.rows:,d} rows in {loaded.seconds:.1f} s")
        findings = list(loaded.warnings)
        _check(findings, lambda: _contract(con, kind, loaded.table), timings, "contract")
        _check(findings, lambda: batch_findings(con, kind, loaded.table), timings, "checks")
        if say:
            say(f"{path.name}: contract checked in {timings['contract']:.1f} s; quality gate next")
        quality, gx_rows, timings["quality"] = _quality_gate(
            con, kind.name, loaded.table, batch_id, load_date, kept.append
        )
        _check(findings, lambda: quality, timings, None)
    except BatchRejected as rejected:
        if loaded is not None:
            rollback(con)  # the batch's rows leave staging
        all_findings = findings + [f for f in rejected.findings if f not in findings]
        return _reject(
            con, settings, path, entry, loaded, all_findings, gx_rows, rejected.first, t0, timings
        )
    except BaseException:  # e.g. the quality gate crashed: no verdict, nothing written
        if loaded is not None:
            rollback(con)
        raise

    t_commit = time.perf_counter()
    warnings = [f for f in findings if f.severity == "warning"]
    try:
        merge_batch(con, kind, loaded.table, batch_id, earlier_rows=read.earlier_rows)
        _write_ops(con, batch_id, path.name, [], warnings, gx_rows, loaded.table, kind.name)
        finished = datetime.now(UTC)
        write_ledger(
            con,
            LedgerEntry(
                **entry,  # type: ignore[arg-type]
                file_format=loaded.file_format,
                encoding=loaded.encoding,
                rows=loaded.rows,
                status="accepted",
                reason=None,
                warnings=_count(warnings),
                finished_at=finished,
            ),
        )
        if before_commit is not None:
            before_commit(con)
        drop_view(con, kind)
        con.execute("COMMIT")
    except BaseException:
        rollback(con)
        raise
    timings["commit"] = time.perf_counter() - t_commit
    return IngestReport(
        batch_id=batch_id,
        file_name=path.name,
        kind=kind.name,
        status="accepted",
        rows=loaded.rows,
        warnings=_count(warnings),
        reason=None,
        findings=findings,
        duration_s=time.perf_counter() - t0,
        file_path=str(path),
        timings=timings,
    )


def _duplicate(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    kind_name: str | None,
    earlier: str,
    t0: float,
    timings: dict[str, float],
) -> IngestReport:
    rows = con.execute(
        "SELECT rows FROM ops.ingest_ledger WHERE batch_id = ?", [earlier]
    ).fetchall()[0][0]
    return IngestReport(
        batch_id=earlier,
        file_name=path.name,
        kind=kind_name,
        status="duplicate",
        rows=rows or 0,
        warnings=0,
        reason=f"already loaded as batch {earlier}; nothing changed",
        duration_s=time.perf_counter() - t0,
        file_path=str(path),
        timings=timings,
    )


def _check(
    findings: list[Finding],
    run: Callable[[], list[Finding]],
    timings: dict[str, float],
    stage: str | None,
) -> None:
    """Run one validation stage; its errors reject the batch, its warnings accumulate."""
    t = time.perf_counter()
    found = run()
    if stage is not None:
        timings[stage] = time.perf_counter() - t
    findings.extend(found)
    if any(f.severity == "error" for f in found):
        raise BatchRejected(findings)


def _contract(con: duckdb.DuckDBPyConnection, kind: Kind, table: str) -> list[Finding]:
    from expectations.contracts import validate_table

    # Columns the reading already held to every rule (optional enums) are not fetched again.
    return validate_table(con, kind.name, table, skip=guaranteed_columns(kind))


def _quality_gate(
    con: duckdb.DuckDBPyConnection,
    kind_name: str,
    table: str,
    batch_id: str,
    load_date: date,
    keep: Callable[[Any], None] | None = None,
) -> tuple[list[Finding], list[tuple], float]:
    """GX findings as ours, the rows for ops.quality_results, and the seconds it took; `keep`
    receives GX's own result (for the Data Docs).

    A QualityGateCrash propagates: a broken validator is not a verdict on the data."""
    from expectations.gx_validate import findings_to_rows, validate_batch

    t = time.perf_counter()
    # The pandera contract has already checked every column of these rows (required, pattern,
    # enum, minimum, decimals): GX runs the batch-level suite, so no check is paid for twice.
    results = validate_batch(
        con, kind_name, table, load_date=load_date, column_checks=False, keep=keep
    )
    rows = findings_to_rows(batch_id, results, datetime.now(UTC))
    ours = [
        Finding(
            rule=q.rule,
            message=f"expected {q.details}",
            column=q.column,
            row=q.first_row,
            value=q.first_value,
            count=max(int(q.unexpected_count or 0), 1),
            severity="error" if q.severity == "error" else "warning",
            stage="quality",
        )
        for q in sorted(results, key=lambda q: (q.first_row is None, q.first_row or 0))
        if not q.success
    ]
    return ours, rows, time.perf_counter() - t


def _write_ops(
    con: duckdb.DuckDBPyConnection,
    batch_id: str,
    file_name: str,
    errors: list[Finding],
    warnings: list[Finding],
    gx_rows: list[tuple],
    table: str | None,
    kind_name: str | None,
) -> None:
    write_findings(con, "ops.rejections", batch_id, file_name, errors)
    per_row_orphans = table is not None and kind_name == "declaration_changes"
    summary = [w for w in warnings if not (per_row_orphans and w.rule == "orphan_change")]
    write_findings(con, "ops.ingest_warnings", batch_id, file_name, summary)
    if per_row_orphans and any(w.rule == "orphan_change" for w in warnings):
        # Every orphan is listed: each waits for its declaration.
        con.execute(
            "INSERT INTO ops.ingest_warnings (batch_id, file_name, row_number, column_name, "
            "value, rule, message) SELECT $b, $f, source_row, 'entry_id', entry_id, "
            "'orphan_change', 'no declaration with this entry_id is loaded yet' "
            f"FROM ({orphan_rows_sql(table)})",  # type: ignore[arg-type]
            {"b": batch_id, "f": file_name},
        )
    if gx_rows:
        con.executemany(
            "INSERT INTO ops.quality_results (batch_id, suite, expectation, success, "
            "unexpected_count, details, validated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            gx_rows,
        )


def _reject(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    path: Path,
    entry: dict,
    loaded: LoadedBatch | None,
    findings: list[Finding],
    gx_rows: list[tuple],
    first: Finding,
    t0: float,
    timings: dict[str, float],
) -> IngestReport:
    errors = [f for f in findings if f.severity == "error"]
    warnings = [f for f in findings if f.severity == "warning"]
    reason = first.one_line()
    fmt = loaded.file_format if loaded else _format_or_none(path)
    try:
        con.execute("BEGIN TRANSACTION")
        _write_ops(con, entry["batch_id"], path.name, errors, warnings, gx_rows, None, None)
        write_ledger(
            con,
            LedgerEntry(
                **entry,
                file_format=fmt,
                encoding=loaded.encoding if loaded else None,
                rows=loaded.rows if loaded else None,
                status="rejected",
                reason=reason,
                warnings=_count(warnings),
                finished_at=datetime.now(UTC),
            ),
        )
        con.execute("COMMIT")
    except BaseException:
        rollback(con)
        raise
    moved_to, reason_file = set_aside(path, settings, entry, first, reason, findings)
    return IngestReport(
        batch_id=entry["batch_id"],
        file_name=path.name,
        kind=entry["kind"],
        status="rejected",
        rows=loaded.rows if loaded else 0,
        warnings=_count(warnings),
        reason=reason,
        findings=findings,
        duration_s=time.perf_counter() - t0,
        file_path=str(path),
        moved_to=str(moved_to) if moved_to else None,
        reason_file=str(reason_file),
        timings=timings,
    )


def set_aside(
    path: Path,
    settings: Settings,
    entry: dict,
    first: Finding,
    reason: str,
    findings: list[Finding],
) -> tuple[Path | None, Path]:
    """Move a rejected file from the landing folder to landing/rejected/ (files elsewhere stay
    put) and write `<file>.reason.json` beside it. Returns (new place or None, reason file)."""
    landing = settings.landing.resolve()
    rejected_dir = settings.rejected_dir.resolve()
    here = path.resolve()
    moved: Path | None = None
    if here.is_relative_to(landing) and not here.is_relative_to(rejected_dir):
        rejected_dir.mkdir(parents=True, exist_ok=True)
        target = rejected_dir / path.name
        if target.exists():
            target = rejected_dir / f"{path.stem}.{entry['batch_id']}{path.suffix}"
        shutil.move(str(here), str(target))
        moved = here = target
    reason_file = here.with_name(here.name + REASON_SUFFIX)
    document = {
        "file": path.name,
        "original_path": str(path),
        "batch_id": entry["batch_id"],
        "kind": entry["kind"],
        "sha256": entry["sha256"],
        "rejected_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "row": first.row,
        "column": first.column,
        "value": first.value,
        "rule": first.rule,
        "message": first.message,
        "reason": reason,
        "findings": [f.as_dict() for f in findings],
    }
    reason_file.write_text(json.dumps(document, ensure_ascii=False, indent=2), encoding="utf-8")
    return moved, reason_file


def _format_or_none(path: Path) -> str | None:
    try:
        return file_format(path)
    except BatchRejected:
        return None


def _count(findings: Iterable[Finding]) -> int:
    return sum(f.count for f in findings)


# ---------------------------------------------------------------- many files


def _skipped(p: Path) -> bool:
    return p.name.startswith(("_", ".")) or p.name.endswith(REASON_SUFFIX)


def expand_paths(paths: Iterable[Path]) -> list[Path]:
    """Files as given, folders walked (skipping `_*`, `.*`, `rejected/` and reason files), in
    load order: enterprises, declarations, the other kinds, unknown kinds; by name within a kind."""
    files: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            for child in sorted(p.rglob("*")):
                rel = child.relative_to(p).parts
                if any(part == "rejected" or part.startswith((".", "_")) for part in rel[:-1]):
                    continue
                if child.is_file() and not _skipped(child):
                    files.append(child)
        elif p.is_file():
            files.append(p)
        else:
            raise UserError(f"no such file or folder: {p}")
    seen: set[Path] = set()
    unique = [f for f in files if not (f.resolve() in seen or seen.add(f.resolve()))]

    def order(f: Path) -> tuple[int, str]:
        kind = kind_of_file(f.name)
        return (KIND_ORDER.index(kind) if kind else len(KIND_ORDER), str(f))

    return sorted(unique, key=order)


def ingest_paths(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    paths: Iterable[Path],
    *,
    load_date: date | None = None,
    on_report: Callable[[IngestReport], None] | None = None,
    progress: Progress | None = None,
) -> list[IngestReport]:
    """Ingest files and folders in a deterministic order (see expand_paths), one batch each;
    the Data Docs are updated once at the end."""
    from expectations.gx_docs import update_data_docs_quietly

    reports = []
    try:
        for f in expand_paths(paths):
            report = ingest_file(
                con, settings, f, load_date=load_date, progress=progress, data_docs=False
            )
            reports.append(report)
            if on_report is not None:
                on_report(report)
    finally:
        update_data_docs_quietly(settings)
    return reports
