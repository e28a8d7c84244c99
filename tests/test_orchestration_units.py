"""Orchestration parts that need no Prefect server: landing rules, watcher, artifacts' content,
refresh bookkeeping. Real watchdog, real DuckDB files under tmp_path."""

from __future__ import annotations

import datetime as dt
import os
import threading
import time
from pathlib import Path

import duckdb
import pytest

from flows.artifacts import files_rows, quality_markdown, quality_rows, snapshot_summary
from flows.deployments_refresh import refresh_state
from flows.sensor import (
    AnnouncedFiles,
    FingerprintCache,
    accepted_sha256,
    is_candidate,
    landing_files,
    pending_files,
    refresh_needed,
)
from flows.watcher import LandingWatcher
from warehouse.ingest_types import IngestReport
from warehouse.ledger import sha256_of

T0 = dt.date(2026, 6, 29)
T1 = dt.date(2026, 6, 30)


def test_landing_candidates(tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    names = [
        "declarations.csv",
        "day1/cases.xlsx",
        "notes.docx",  # a candidate: ingestion rejects it with a reason
        "_scenarios.csv",
        ".hidden.csv",
        "declarations.csv.part",
        "cases.xlsx.tmp",
        "rejected/enterprises.csv",
        "rejected/enterprises.csv.reason.json",
        "_drafts/filings.csv",
    ]
    for name in names:
        p = landing / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text("x")
    found = {p.relative_to(landing).as_posix() for p in landing_files(landing)}
    assert found == {"declarations.csv", "day1/cases.xlsx", "notes.docx"}
    assert not is_candidate(tmp_path / "elsewhere.csv", landing)
    assert landing_files(tmp_path / "missing") == []


def _ledger_row(con: duckdb.DuckDBPyConnection, batch: str, sha: str, status: str, at: str) -> None:
    con.execute(
        "INSERT INTO ops.ingest_ledger (batch_id, kind, file_name, file_path, sha256, size_bytes, "
        "rows, status, reason, warnings, started_at, finished_at, duration_s) "
        "VALUES (?, 'cases', ?, ?, ?, 1, 3, ?, NULL, 0, ?::TIMESTAMPTZ, ?::TIMESTAMPTZ, 0.5)",
        [batch, f"{batch}.csv", f"/l/{batch}.csv", sha, status, at, at],
    )


def test_pending_files_by_content(tmp_path: Path, warehouse: duckdb.DuckDBPyConnection) -> None:
    landing = tmp_path / "landing"
    landing.mkdir()
    a, b, c = (landing / n for n in ("cases-a.csv", "cases-b.csv", "cases-c.csv"))
    a.write_text("case_id\n1\n")
    b.write_text("case_id\n2\n")
    c.write_text("case_id\n1\n")  # same content as a: already loaded under another name
    _ledger_row(warehouse, "b1", sha256_of(a), "accepted", "2026-06-30 01:00:00+00")
    _ledger_row(warehouse, "b2", sha256_of(b), "rejected", "2026-06-30 01:01:00+00")
    cache = FingerprintCache()
    accepted = accepted_sha256(warehouse)
    pending = pending_files(landing_files(landing), accepted, cache)
    assert pending == [b]  # a rejected content dropped again is offered again
    b.write_text("case_id\n2\n3\n")  # changed in place: new fingerprint
    assert pending_files([b], accepted, cache) == [b]
    assert cache.sha256(b) == sha256_of(b)


def test_announced_files_once_per_version(tmp_path: Path) -> None:
    f = tmp_path / "cases.csv"
    f.write_text("1")
    announced = AnnouncedFiles(grace_s=60)
    assert announced.claim(f) is True
    assert announced.claim(f) is False  # watcher and sensor: one announcement
    announced.release(f)
    assert announced.claim(f) is True
    time.sleep(0.01)
    f.write_text("12")  # a new version of the file is a new announcement
    assert announced.claim(f) is True
    assert announced.claim(tmp_path / "gone.csv") is False


def test_watcher_rename_and_settle(tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    seen: list[tuple[str, float]] = []
    lock = threading.Lock()

    def announce(p: Path) -> None:
        with lock:
            seen.append((p.name, time.monotonic()))

    watcher = LandingWatcher(landing, announce, settle_s=0.6).start()
    try:
        # 1. written under a temporary name, then renamed: complete at once.
        tmp = landing / "declarations.csv.part"
        tmp.write_text("entry_id\n" + "1\n" * 1000)
        t_rename = time.monotonic()
        os.replace(tmp, landing / "declarations.csv")
        # 2. written in place in three pieces, 0.3 s apart: complete only once it settles.
        slow = landing / "cases.csv"
        with slow.open("w") as fh:
            for i in range(3):
                if i:
                    time.sleep(0.3)
                fh.write("case_id\n")
                fh.flush()
        t_last_write = time.monotonic()
        # 3. ignored names.
        (landing / "_notes.csv").write_text("x")
        (landing / "filings.csv.tmp").write_text("x")
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and len(seen) < 2:
            time.sleep(0.05)
        time.sleep(1.0)  # nothing else may arrive
    finally:
        watcher.stop()
    names = [n for n, _ in seen]
    assert sorted(names) == ["cases.csv", "declarations.csv"], names
    at = dict(seen)
    assert at["declarations.csv"] - t_rename < 0.5  # no settle wait after a rename
    assert at["cases.csv"] - t_last_write >= 0.5  # waited for the size to settle
    assert watcher.emitted == 2


SNAP_COLS = (
    "customs_code, as_of, rulebook, recorded_level, assessed_level, dishonest, advanced_ready, "
    "blockers, warnings, earliest_application_date, score, provisional, run_id, batch_ids"
)


def _snap(con, code, as_of, recorded, assessed, ready, blockers, score=None) -> None:
    con.execute(
        f"INSERT INTO marts.eligibility_snapshot ({SNAP_COLS}) VALUES "
        "(?, ?, 'CN-282', ?, ?, ?, ?, ?, [], NULL, ?, true, 'r', [])",
        [code, as_of, recorded, assessed, assessed.endswith("dishonest"), ready, blockers, score],
    )


def test_snapshot_summary_changes(warehouse: duckdb.DuckDBPyConnection) -> None:
    con = warehouse
    _snap(con, "A000000001", T0, "regular", "regular", False, ["A7"], 90)
    _snap(con, "A000000001", T1, "regular", "regular", True, [], 97)  # became ready
    _snap(con, "B000000002", T0, "regular", "regular", True, [], 99)
    _snap(con, "B000000002", T1, "regular", "dishonest", False, ["A1", "A4"])  # blockers appeared
    _snap(con, "C000000003", T0, "advanced", "advanced", True, [])
    _snap(con, "C000000003", T1, "advanced", "advanced", True, [])  # advanced: nothing to apply
    _snap(con, "D000000004", T1, "certified", "certified", True, [], 96)  # new and ready
    s = snapshot_summary(con)
    assert s.as_of == T1 and s.previous_as_of == T0 and s.rulebook == "CN-282"
    assert s.levels == {"dishonest": 1, "regular": 1, "certified": 1, "advanced": 1}
    assert s.enterprises == 4 and s.ready == 3
    assert s.appeared == [("B000000002", "A1"), ("B000000002", "A4")]
    assert s.cleared == [("A000000001", "A7")]
    assert s.new_enterprises == 1
    assert [(c, lvl) for c, lvl, _ in s.apply_now] == [
        ("A000000001", "regular"),
        ("D000000004", "certified"),
    ]
    md = s.markdown()
    assert "# Eligibility snapshot 2026-06-30 (CN-282)" in md
    assert "| dishonest | 1 |" in md and "## Apply now (2)" in md
    assert "| B000000002 | A4 |" in md and "## Blockers that cleared (1)" in md
    # The first snapshot has nothing to compare with: everything ready is "apply now".
    first = snapshot_summary(con, T0)
    assert first.previous_as_of is None and first.appeared == [] and first.cleared == []
    assert [c for c, _, _ in first.apply_now] == ["B000000002"]
    assert "No previous snapshot." in first.markdown()


def test_snapshot_summary_empty(warehouse: duckdb.DuckDBPyConnection) -> None:
    s = snapshot_summary(warehouse)
    assert s.as_of is None and "No snapshot evaluated yet" in s.markdown()


def test_quality_rows_and_files_rows(warehouse: duckdb.DuckDBPyConnection, tmp_path) -> None:
    con = warehouse
    con.execute(
        "INSERT INTO ops.quality_results VALUES "
        "('b1', 'cases', 'values_in_set', true, 0, NULL, now()), "
        "('b1', 'cases', 'fine_when_fined', false, 2, 'rows 3, 9', now()), "
        "('b2', 'filings', 'unique_key', true, 0, NULL, now())"
    )
    rows = quality_rows(con, ["b1"])
    assert [(r["expectation"], r["success"], r["unexpected"]) for r in rows] == [
        ("fine_when_fined", False, 2),
        ("values_in_set", True, 0),
    ]
    md = quality_markdown(rows, tmp_path / "index.html")
    assert "2 expectations over 1 batches: 1 passed, 1 failed." in md
    assert "| b1 | cases | fine_when_fined | 2 |" in md and "index.html" in md
    assert quality_rows(con, []) == []
    report = IngestReport("b9", "cases.csv", "cases", "rejected", 0, 0, "row 3: bad", [], 0.123)
    assert files_rows([report]) == [
        {
            "file": "cases.csv",
            "kind": "cases",
            "status": "rejected",
            "rows": 0,
            "warnings": 0,
            "reason": "row 3: bad",
            "batch_id": "b9",
            "seconds": 0.12,
        }
    ]


def test_refresh_bookkeeping(warehouse: duckdb.DuckDBPyConnection) -> None:
    con = warehouse
    assert refresh_needed(con) is False  # nothing loaded yet
    assert refresh_state(con, T1)[:2] == (True, True)
    _ledger_row(con, "b1", "s1", "accepted", "2026-06-30 01:00:00+00")
    assert refresh_needed(con) is True
    assert refresh_needed(con, older_than_s=10 * 365 * 86400) is False  # too young to worry
    con.execute(
        "INSERT INTO marts.evaluations VALUES "
        "(?, 'CN-282', 'x', true, 'r', 1, '2026-06-30 01:05:00+00', 0.1)",
        [T1],
    )
    assert refresh_state(con, T1)[:2] == (False, True)  # evaluated, not yet published
    assert refresh_needed(con) is False  # the sensor leaves that to the run in progress
    con.execute(
        "INSERT INTO ops.runs VALUES "
        "('p1', 'publish', ?, 'succeeded', now(), '2026-06-30 01:06:00+00', '{}')",
        [T1],
    )
    need_eval, need_publish, last_publish = refresh_state(con, T1)
    assert (need_eval, need_publish) == (False, False)
    assert last_publish == dt.datetime(2026, 6, 30, 1, 6, tzinfo=dt.UTC)
    assert refresh_needed(con) is False
    _ledger_row(con, "b2", "s2", "accepted", "2026-06-30 01:07:00+00")  # a later batch
    assert refresh_state(con, T1)[:2] == (True, True)
    assert refresh_state(con, T0)[:2] == (True, True)  # T0 never evaluated


@pytest.mark.parametrize("missing", ["warehouse"])
def test_sensor_without_warehouse(tmp_path: Path, missing: str) -> None:
    """Before the first load the sensor announces every file without opening any database."""
    from flows.sensor import reconcile_once
    from warehouse.settings import Settings

    settings = Settings(
        tmp_path / "credit.duckdb", tmp_path / "landing", tmp_path / "serving", "1GB", 1
    )
    settings.landing.mkdir()
    (settings.landing / "cases.csv").write_text("case_id\n")
    got: list[str] = []
    r = reconcile_once(
        settings, FingerprintCache(), AnnouncedFiles(), lambda p: got.append(p.name), lambda: None
    )
    assert (r.files, r.pending, r.announced, got) == (1, 1, 1, ["cases.csv"])
    assert not settings.warehouse.exists()
