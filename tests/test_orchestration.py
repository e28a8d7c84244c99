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


def test_concurrent_drops_serialize_and_both_land(service: Service) -> None:
    version_before = current_version(service.settings)
    service.drop("declarations.csv", "cases.csv")
    for name in ("declarations.csv", "cases.csv"):
        run = finished_run_for(service.settings.landing / name, 150)
        assert run.state.is_completed(), (name, run.state)

    def both_published() -> bool:
        entries = {r[0]: r for r in ledger(service.settings)}
        if not {"declarations.csv", "cases.csv"} <= entries.keys():
            return False
        return current_version(service.settings) != version_before and _covers(service, entries)

    wait_until("a snapshot covering both files", both_published, 120, every=1)
    entries = {r[0]: r for r in ledger(service.settings)}
    decl, cases = entries["declarations.csv"], entries["cases.csv"]
    assert decl[1:3] == ("accepted", 400) and cases[1] == "accepted"
    # Serialized by the writer slot: one batch finished before the other started.
    first, second = sorted([decl, cases], key=lambda r: r[3])
    assert first[4] <= second[3], (first, second)
    failed = [r for r in flow_runs("ingest-file") if not r.state.is_completed()]
    assert failed == [], [(r.name, r.state.message) for r in failed]


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
