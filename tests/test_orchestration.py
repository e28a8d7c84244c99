"""`customs-credit serve` against a REAL local Prefect server (tests/prefect_server.py).

One server for the session and one `serve` process for the module (watcher, sensor, runner),
a warehouse under tmp_path, a webhook receiver on loopback. The tests run in file order and
build on each other: drop -> snapshot, two drops at once, a bad file, a failed run, nightly,
Ctrl-C. Snapshots are read from the published serving copy, as BI would, never from the
warehouse the pipeline writes.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import duckdb
import pytest

from tests.prefect_server import prefect_server  # noqa: F401
from warehouse.settings import Settings

pytestmark = [pytest.mark.prefect, pytest.mark.timeout(240)]

AS_OF = "2026-06-30"
ROOT = Path(__file__).resolve().parent.parent


# --- helpers ------------------------------------------------------------------------------------


def wait_until(what: str, check: Callable[[], Any], timeout: float, every: float = 0.25) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(every)


class Receiver:
    """A webhook receiver: a tiny http.server on 127.0.0.1 collecting JSON bodies."""

    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []
        received = self.bodies

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                n = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(n)
                try:
                    received.append(json.loads(raw))
                except ValueError:
                    received.append({"unparsed": raw.decode(errors="replace")})
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/alerts"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def of_kind(self, kind: str) -> list[dict[str, Any]]:
        return [b for b in self.bodies if b.get("kind") == kind]


@dataclass
class Service:
    settings: Settings
    process: subprocess.Popen[bytes]
    log: Path
    gen: Path
    receiver: Receiver
    latencies: list[float] = field(default_factory=list)

    def drop(self, *names: str, target: str | None = None) -> float:
        """Copy generated files into the landing folder the safe way (temp name + rename)."""
        started = time.monotonic()
        for name in names:
            src = self.gen / name
            dest = self.settings.landing / (target or name)
            tmp = dest.with_name(dest.name + ".part")
            shutil.copyfile(src, tmp)
            os.replace(tmp, dest)
        return started

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")


def serving_snapshot(settings: Settings, as_of: str = AS_OF) -> list[tuple]:
    db = settings.serving / "serving.duckdb"
    if not db.exists():
        return []
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(
            "SELECT customs_code, assessed_level, advanced_ready, blockers "
            "FROM eligibility_snapshot WHERE as_of = ? ORDER BY 1",
            [as_of],
        ).fetchall()
    finally:
        con.close()


def current_version(settings: Settings) -> str | None:
    f = settings.serving / "CURRENT"
    return f.read_text().strip() if f.exists() else None


def ledger(settings: Settings) -> list[tuple]:
    """The ledger, read inside the writer slot like every other warehouse reader."""
    from flows.deployments_writer import open_reader

    with open_reader(settings, "test") as con:
        return con.execute(
            "SELECT file_name, status, rows, started_at, finished_at, reason "
            "FROM ops.ingest_ledger ORDER BY started_at"
        ).fetchall()


def flow_runs(flow_name: str) -> list[Any]:
    from prefect import get_client
    from prefect.client.schemas.filters import FlowFilter, FlowFilterName

    with get_client(sync_client=True) as client:
        return client.read_flow_runs(flow_filter=FlowFilter(name=FlowFilterName(any_=[flow_name])))


def artifacts_of(flow_run_id: Any) -> dict[str, Any]:
    from prefect import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    with get_client(sync_client=True) as client:
        arts = client.read_artifacts(
            flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[flow_run_id]))
        )
    return {a.key: a for a in arts if a.key}


def table(artifact: Any) -> list[dict[str, Any]]:
    data = artifact.data
    return json.loads(data) if isinstance(data, str) else data


def finished_run_for(path: Path, timeout: float) -> Any:
    def done() -> Any:
        for run in flow_runs("ingest-file"):
            if run.parameters.get("path") == str(path.resolve()) and run.state.is_final():
                return run
        return None

    return wait_until(f"the ingest run of {path.name}", done, timeout)


# --- fixtures -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.httpd.shutdown()


@pytest.fixture(scope="module")
def service(
    prefect_server: Any,  # noqa: F811
    receiver: Receiver,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Service]:
    from sampledata.generator import generate

    base = tmp_path_factory.mktemp("serve")
    gen = base / "gen"
    generate(gen, enterprises=12, declarations=400, seed=11, fmt="csv", as_of=AS_OF)
    settings = Settings(
        warehouse=base / "wh" / "credit.duckdb",
        landing=base / "wh" / "landing",
        serving=base / "wh" / "serving",
        memory_limit="1GB",
        threads=1,
    )
    env = {
        **os.environ,
        "PREFECT_API_URL": prefect_server.api_url,
        "CUSTOMS_CREDIT_WAREHOUSE": str(settings.warehouse),
        "CUSTOMS_CREDIT_MEMORY_LIMIT": "1GB",
        "CUSTOMS_CREDIT_THREADS": "1",
        "PYTHONUNBUFFERED": "1",
    }
    log = base / "serve.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "flows.cli", "serve", "--as-of", AS_OF]
            + ["--poll-seconds", "1", "--sensor-seconds", "5"]
            + ["--alert-webhook", receiver.url],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    svc = Service(settings, process, log, gen, receiver)
    try:
        wait_until("serve to start", lambda: "Ctrl-C stops" in svc.log_text(), 90)
        yield svc
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
        print(f"\n--- serve log (tail) ---\n{svc.log_text()[-3000:]}")


# --- tests --------------------------------------------------------------------------------------


def test_deployments_schedule_and_limits(service: Service) -> None:
    from prefect import get_client

    with get_client(sync_client=True) as client:
        nightly = client.read_deployment_by_name("nightly/nightly")
        ingest = client.read_deployment_by_name("ingest-file/ingest")
        refresh = client.read_deployment_by_name("refresh/refresh")
        limit = client.read_global_concurrency_limit_by_name("warehouse-writer")
    [sched] = nightly.schedules
    assert sched.active
    assert sched.schedule.cron == "0 2 * * *"
    assert sched.schedule.timezone == "Asia/Shanghai"
    assert nightly.parameters["as_of"] == AS_OF
    for dep in (nightly, ingest, refresh):
        assert dep.global_concurrency_limit is not None
        assert dep.global_concurrency_limit.limit == 1
        assert dep.entrypoint.startswith("flows.")
    assert (limit.limit, limit.active) == (1, True)


def test_nightly_schedule_fires_at_2am_shanghai(service: Service) -> None:
    """The scheduler's next runs are 02:00 in Shanghai, i.e. 18:00 UTC the day before."""
    from prefect import get_client
    from prefect.client.schemas.filters import (
        DeploymentFilter,
        DeploymentFilterName,
        FlowRunFilter,
        FlowRunFilterState,
        FlowRunFilterStateType,
    )
    from prefect.client.schemas.objects import StateType

    def scheduled() -> list[Any]:
        with get_client(sync_client=True) as client:
            return client.read_flow_runs(
                deployment_filter=DeploymentFilter(name=DeploymentFilterName(any_=["nightly"])),
                flow_run_filter=FlowRunFilter(
                    state=FlowRunFilterState(
                        type=FlowRunFilterStateType(any_=[StateType.SCHEDULED])
                    )
                ),
            )

    runs = wait_until("the scheduler to plan nightly runs", scheduled, 60, every=1)
    from zoneinfo import ZoneInfo

    for run in runs:
        local = run.expected_start_time.astimezone(ZoneInfo("Asia/Shanghai"))
        assert (local.hour, local.minute) == (2, 0), run.expected_start_time
        assert (run.expected_start_time.hour, run.expected_start_time.minute) == (18, 0)


def test_dropped_file_reaches_the_snapshot(service: Service) -> None:
    assert serving_snapshot(service.settings) == []
    landed = service.drop("enterprises.csv")
    rows = wait_until(
        "the snapshot to show the dropped enterprises",
        lambda: serving_snapshot(service.settings),
        150,
    )
    latency = time.monotonic() - landed
    service.latencies.append(latency)
    print(f"\nlatency file landed -> published snapshot: {latency:.1f} s")
    assert len(rows) == 12
    [entry] = [r for r in ledger(service.settings) if r[0] == "enterprises.csv"]
    assert entry[1:3] == ("accepted", 12)
    run = finished_run_for(service.settings.landing / "enterprises.csv", 30)
    assert run.state.is_completed()
    files = table(artifacts_of(run.id)["ingested-files"])
    assert [(f["file"], f["status"], f["rows"]) for f in files] == [
        ("enterprises.csv", "accepted", 12)
    ]
    assert "quality-results" in artifacts_of(run.id)


BURST = ("declarations.csv", "cases.csv", "filings.csv", "financials.csv")


def test_concurrent_drops_serialize_and_all_land(service: Service) -> None:
    """Four files at once: the runs queue (deployment limit + writer slot), every batch lands,
    no run fails on a DuckDB lock, and the burst costs at most two evaluations."""
    import datetime as dt

    version_before = current_version(service.settings)
    burst_at = dt.datetime.now(dt.UTC)
    service.drop(*BURST)
    from flows.deployments_refresh import active_ingest_paths

    paths = {str((service.settings.landing / n).resolve()) for n in BURST}
    wait_until("queued ingest runs", lambda: active_ingest_paths() & paths, 60)
    for name in BURST:
        run = finished_run_for(service.settings.landing / name, 150)
        assert run.state.is_completed(), (name, run.state)

    def all_published() -> bool:
        entries = {r[0]: r for r in ledger(service.settings)}
        if not set(BURST) <= entries.keys():
            return False
        return current_version(service.settings) != version_before and _covers(service, entries)

    wait_until("a snapshot covering the whole burst", all_published, 120, every=1)
    entries = {r[0]: r for r in ledger(service.settings)}
    assert entries["declarations.csv"][1:3] == ("accepted", 400)
    assert {entries[n][1] for n in BURST} == {"accepted"}
    # Serialized: each batch started after the previous one finished.
    batches = sorted((entries[n] for n in BURST), key=lambda r: r[3])
    for earlier, later in zip(batches, batches[1:], strict=False):
        assert earlier[4] <= later[3], (earlier, later)
    failed = [r for r in flow_runs("ingest-file") if not r.state.is_completed()]
    assert failed == [], [(r.name, r.state.message) for r in failed]
    # Coalesced: one evaluation per quiet period, not one per file.
    evaluations = _evaluations_since(service.settings, burst_at)
    print(f"\n{len(BURST)} files at once -> {evaluations} evaluations")
    assert 1 <= evaluations <= 2


def _evaluations_since(settings: Settings, since: Any) -> int:
    from flows.deployments_writer import open_reader

    with open_reader(settings, "test") as con:
        return con.execute(
            "SELECT count(*) FROM ops.runs WHERE flow = 'evaluate' AND started_at >= ?", [since]
        ).fetchone()[0]


def _covers(service: Service, entries: dict[str, tuple]) -> bool:
    """The published evaluation started after every accepted batch finished."""
    db = service.settings.serving / "serving.duckdb"
    con = duckdb.connect(str(db), read_only=True)
    try:
        evaluated = con.execute(
            "SELECT evaluated_at FROM evaluations WHERE as_of = ?", [AS_OF]
        ).fetchone()
    finally:
        con.close()
    last = max(r[4] for r in entries.values() if r[1] == "accepted")
    return evaluated is not None and evaluated[0] >= last


def test_bad_file_rejected_reported_and_snapshot_kept(service: Service) -> None:
    settings = service.settings
    version = current_version(settings)
    snapshot = serving_snapshot(settings)
    bad = settings.landing / "enterprises-broken.csv"
    tmp = bad.with_name(bad.name + ".part")
    tmp.write_text("customs_code,uscc\n12,nonsense\n", encoding="utf-8")  # no name, type, level
    os.replace(tmp, bad)
    run = finished_run_for(bad, 120)
    assert run.state.is_completed()  # a refused file is an outcome, not a crash
    [row] = table(artifacts_of(run.id)["ingested-files"])
    assert (row["file"], row["status"], row["rows"]) == ("enterprises-broken.csv", "rejected", 0)
    assert row["reason"]
    assert not bad.exists() and (settings.rejected_dir / bad.name).exists()
    alert = wait_until(
        "the rejected-batch alert", lambda: service.receiver.of_kind("batch_rejected"), 60
    )
    assert alert[0]["file_name"] == "enterprises-broken.csv"
    assert alert[0]["reason"] == row["reason"]
    time.sleep(3)  # a refresh would have started by now; none may publish
    assert current_version(settings) == version
    assert serving_snapshot(settings) == snapshot


def test_failed_run_reaches_the_webhook(service: Service) -> None:
    from prefect.deployments import run_deployment

    run = run_deployment(
        "publish/publish", parameters={"keep_versions": 0}, timeout=0, as_subflow=False
    )
    alerts = wait_until(
        "the failed-run alert",
        lambda: [
            b for b in service.receiver.of_kind("run_failed") if b["flow_run_id"] == str(run.id)
        ],
        90,
    )
    body = alerts[0]
    assert (body["flow"], body["state"]) == ("publish", "Failed")
    assert "keep" in body["message"].lower()
    assert body["parameters"]["keep_versions"] == 0
    assert body["text"].startswith("customs-credit: publish run")


def test_nightly_run_leaves_artifacts(service: Service) -> None:
    from prefect.deployments import run_deployment

    run = run_deployment(
        "nightly/nightly", parameters={"as_of": "2026-07-31"}, timeout=180, as_subflow=False
    )
    assert run.state.is_completed(), run.state
    arts = artifacts_of(run.id)
    assert {"ingested-files", "eligibility-snapshot-summary", "quality-results"} <= arts.keys()
    md = arts["eligibility-snapshot-summary"].data
    july = serving_snapshot(service.settings, "2026-07-31")
    assert len(july) == 12
    assert "# Eligibility snapshot 2026-07-31" in md
    assert "Compared with the previous snapshot: 2026-06-30." in md
    levels: dict[str, int] = {}
    for _, level, _, _ in july:
        levels[level] = levels.get(level, 0) + 1
    for level, n in levels.items():
        assert f"| {level} | {n} |" in md
    ready = sum(1 for r in july if r[2])
    assert f"12 enterprises, {ready} ready to apply" in md
    # Nothing was pending: every landed file is already loaded.
    assert table(arts["ingested-files"])[0]["status"] == "no files"


def test_ctrl_c_stops_serve(service: Service) -> None:
    service.process.send_signal(signal.SIGINT)
    assert service.process.wait(45) == 0
    log = service.log_text()
    assert "interrupted: stopping" in log
    assert "Traceback" not in log[log.index("interrupted: stopping") :]


# --- parts on their own, against the same server ------------------------------------------------

GUARDED_WRITER = """
import sys, time, datetime as dt
from flows.deployments_writer import open_writer
from warehouse.settings import load_settings

with open_writer(load_settings(sys.argv[1]), "test") as con:
    t_in = dt.datetime.now(dt.UTC)
    con.execute("CREATE TABLE IF NOT EXISTS main.probe (who VARCHAR, t_in TIMESTAMPTZ, "
                "t_out TIMESTAMPTZ)")
    time.sleep(1.5)  # long enough that an unguarded second writer would hit the file lock
    con.execute("INSERT INTO main.probe VALUES (?, ?, ?)",
                [sys.argv[2], t_in, dt.datetime.now(dt.UTC)])
"""


def test_writer_slot_serializes_processes(
    prefect_server: Any,  # noqa: F811
    tmp_path: Path,
) -> None:
    """Two processes write the same DuckDB file at once: both succeed, one after the other."""
    wh = tmp_path / "credit.duckdb"
    env = {**os.environ, "PREFECT_API_URL": prefect_server.api_url}
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", GUARDED_WRITER, str(wh), who],
            cwd=ROOT,
            env=env,
            stderr=subprocess.PIPE,
        )
        for who in ("a", "b")
    ]
    for p in procs:
        _, err = p.communicate(timeout=120)
        assert p.returncode == 0, err.decode()[-2000:]
    con = duckdb.connect(str(wh), read_only=True)
    try:
        rows = con.execute("SELECT who, t_in, t_out FROM main.probe ORDER BY t_in").fetchall()
    finally:
        con.close()
    assert sorted(r[0] for r in rows) == ["a", "b"]
    assert rows[0][2] <= rows[1][1], rows  # the second got in after the first got out


def test_sensor_announces_only_unknown_content(
    prefect_server: Any,  # noqa: F811
    tmp_path: Path,
) -> None:
    """Files landed while the watcher was down: the sensor announces each unknown one once."""
    import datetime as dt

    from flows.sensor import AnnouncedFiles, FingerprintCache, reconcile_once
    from warehouse.connection import connect
    from warehouse.ledger import sha256_of

    settings = Settings(
        tmp_path / "credit.duckdb", tmp_path / "landing", tmp_path / "serving", "1GB", 1
    )
    (settings.landing / "day1").mkdir(parents=True)
    known = settings.landing / "day1" / "cases.csv"
    known.write_text("case_id\n1\n")
    new = settings.landing / "filings.csv"
    new.write_text("filing_id\n7\n")
    (settings.landing / "_scenarios.csv").write_text("x\n")
    old = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=10)
    con = connect(settings)
    con.execute(
        "INSERT INTO ops.ingest_ledger (batch_id, kind, file_name, file_path, sha256, size_bytes, "
        "rows, status, warnings, started_at, finished_at) "
        "VALUES ('b1', 'cases', 'cases.csv', ?, ?, 11, 1, 'accepted', 0, ?, ?)",
        [str(known), sha256_of(known), old, old],
    )
    con.close()
    announced: list[str] = []
    refreshes: list[int] = []
    cache, claims = FingerprintCache(), AnnouncedFiles()
    busy: set[str] = set()

    def round_() -> Any:
        return reconcile_once(
            settings,
            cache,
            claims,
            lambda p: announced.append(p.name),
            lambda: refreshes.append(1),
            stale_after_s=60,
            in_flight=lambda: busy,
        )

    first = round_()
    assert (first.files, first.pending, first.announced) == (2, 1, 1)
    assert announced == ["filings.csv"]
    assert first.refresh_requested is False  # a file is still pending: its ingest will refresh
    second = round_()
    assert (second.pending, second.announced) == (1, 0)  # announced already: no second run
    claims.release(new)  # the grace period is over, but an ingest run for it is still queued
    busy.add(str(new.resolve()))
    assert round_().announced == 0
    busy.clear()
    assert round_().announced == 1 and announced == ["filings.csv", "filings.csv"]
    new.unlink()  # ingested and gone; the batch from 10 minutes ago was never evaluated
    third = round_()
    assert (third.pending, third.refresh_requested, refreshes) == (0, True, [1])


def test_serve_starts_and_stops_its_own_server(tmp_path: Path) -> None:
    """Without PREFECT_API_URL, serve starts a server on 127.0.0.1; Ctrl-C stops both."""
    from flows.serve_server import api_healthy, free_port

    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    env.update(
        PREFECT_HOME=str(tmp_path / "prefect"),
        CUSTOMS_CREDIT_WAREHOUSE=str(tmp_path / "wh" / "credit.duckdb"),
        PYTHONUNBUFFERED="1",
    )
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "flows.cli", "serve", "--port", str(port), "--no-ui"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_until("serve to start", lambda: "Ctrl-C stops" in log.read_text(), 120)
        api = f"http://127.0.0.1:{port}/api"
        assert api_healthy(api)
        assert "Prefect server ready in" in log.read_text()
        proc.send_signal(signal.SIGINT)
        assert proc.wait(60) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
    text = log.read_text()
    assert "Prefect server stopped" in text
    assert not api_healthy(api, timeout=1)
    assert (tmp_path / "prefect" / "prefect.db").exists()  # its SQLite lives in PREFECT_HOME


def test_serve_with_a_work_pool_and_a_worker(
    prefect_server: Any,  # noqa: F811
    tmp_path: Path,
) -> None:
    """Production shape: serve registers the deployments to a process work pool and keeps the
    watcher and sensor; a `prefect worker` runs the flow runs; SIGTERM stops serve."""
    from prefect import get_client
    from prefect.deployments import run_deployment

    env = {
        **os.environ,
        "PREFECT_API_URL": prefect_server.api_url,
        "CUSTOMS_CREDIT_WAREHOUSE": str(tmp_path / "wh" / "credit.duckdb"),
        "PYTHONUNBUFFERED": "1",
    }
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "flows.cli", "serve", "--work-pool", "cc-test"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_until("serve to start", lambda: "Ctrl-C stops" in log.read_text(), 90)
        assert "work pool 'cc-test'" in log.read_text()
        with get_client(sync_client=True) as client:
            dep = client.read_deployment_by_name("publish/publish")
            nightly = client.read_deployment_by_name("nightly/nightly")
        assert dep.work_pool_name == "cc-test" and nightly.work_pool_name == "cc-test"
        assert nightly.schedules[0].schedule.timezone == "Asia/Shanghai"
        run = run_deployment("publish/publish", timeout=0, as_subflow=False)
        worker = subprocess.run(
            [sys.executable, "-m", "prefect", "worker", "start", "--pool", "cc-test", "--run-once"],
            cwd=tmp_path,  # the flows are found by module path, not by the working directory
            env=env,
            capture_output=True,
            timeout=120,
        )
        assert worker.returncode == 0, worker.stdout.decode()[-2000:]
        with get_client(sync_client=True) as client:
            state = client.read_flow_run(run.id).state
        assert state.is_completed(), state
        assert (tmp_path / "wh" / "serving" / "serving.duckdb").exists()
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
