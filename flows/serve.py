"""`customs-credit serve`: everything one machine needs, in one foreground process.

1. a Prefect server on 127.0.0.1 (child process) unless PREFECT_API_URL names one;
2. the "warehouse-writer" global concurrency limit and the alert automations;
3. the deployments of flows/deployments.py, served by a Prefect Runner (what `prefect.serve`
   does, split open so the deployments and their triggers exist before the watcher emits);
4. the landing watcher (low latency) and the minute sensor (nothing missed).

Ctrl-C or SIGTERM stops the runner, the watcher and the sensor, then the server it started.
See docs/operations.md for running it as a service and for production (PostgreSQL, workers).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
import time
from pathlib import Path

from flows.serve_server import LocalPrefectServer, api_healthy
from warehouse.errors import UserError
from warehouse.settings import force_offline, load_settings

log = logging.getLogger("flows.serve")


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--nightly-cron",
        default="0 2 * * *",
        metavar="CRON",
        help="schedule of the nightly run (default '0 2 * * *')",
    )
    p.add_argument(
        "--timezone",
        default="Asia/Shanghai",
        metavar="TZ",
        help="timezone of the nightly schedule (default Asia/Shanghai)",
    )
    p.add_argument(
        "--as-of",
        default=None,
        metavar="YYYY-MM-DD",
        help="evaluate at this date instead of today in Shanghai (demos, backfills)",
    )
    p.add_argument(
        "--port",
        type=int,
        default=4200,
        help="port of the local Prefect server started when PREFECT_API_URL is not set",
    )
    p.add_argument(
        "--poll-seconds",
        type=float,
        default=None,
        metavar="S",
        help="runner poll interval (PREFECT_RUNNER_POLL_FREQUENCY; default 2)",
    )
    p.add_argument(
        "--settle-seconds",
        type=float,
        default=1.0,
        metavar="S",
        help="a file written in place is complete after S seconds unchanged (default 1)",
    )
    p.add_argument(
        "--sensor-seconds",
        type=float,
        default=60.0,
        metavar="S",
        help="interval of the reconciling sensor (default 60)",
    )
    p.add_argument(
        "--refresh-quiet",
        type=float,
        default=1.0,
        metavar="S",
        help="a refresh waits until no file has been ingesting for S seconds (default 1)",
    )
    p.add_argument(
        "--alert-webhook",
        default=None,
        metavar="URL",
        help="POST failed runs and rejected files here (env CUSTOMS_CREDIT_ALERT_WEBHOOK)",
    )
    p.add_argument(
        "--limit",
        type=int,
        default=4,
        metavar="N",
        help="flow runs this process executes at once (default 4)",
    )
    p.add_argument(
        "--work-pool",
        default=None,
        metavar="NAME",
        help="register the deployments to this process work pool (created if missing) for "
        "`prefect worker start --pool NAME` instead of running them here; serve keeps the "
        "watcher and the sensor",
    )
    p.add_argument("--no-ui", dest="ui", action="store_false", help="local server without UI")


def _configure_env(args: argparse.Namespace) -> None:
    """Prefect reads its settings from the environment when it is imported: set them first."""
    force_offline()
    if args.poll_seconds is not None:
        os.environ["PREFECT_RUNNER_POLL_FREQUENCY"] = str(max(1, round(args.poll_seconds)))
    else:
        os.environ.setdefault("PREFECT_RUNNER_POLL_FREQUENCY", "2")
    # Queued runs of a deployment with concurrency_limit=1 retry after this wait (server side;
    # Prefect's default of 30 s would make 50 queued files take 25 minutes).
    os.environ.setdefault("PREFECT_SERVER_DEPLOYMENTS_CONCURRENCY_SLOT_WAIT_SECONDS", "2")


def _start_server(args: argparse.Namespace) -> LocalPrefectServer | None:
    api_url = os.environ.get("PREFECT_API_URL")
    if api_url:
        if not api_healthy(api_url, timeout=5):
            raise UserError(f"PREFECT_API_URL={api_url} does not answer /health")
        print(f"using the Prefect server at {api_url}", flush=True)
        return None
    home = Path(os.environ.get("PREFECT_HOME") or Path.home() / ".prefect")
    print(f"starting a local Prefect server on 127.0.0.1:{args.port} ...", flush=True)
    server = LocalPrefectServer(home=home, port=args.port, ui=args.ui).start()
    os.environ["PREFECT_API_URL"] = server.api_url
    print(f"Prefect server ready in {server.startup_s:.1f} s: {server.api_url}", flush=True)
    return server


class _QuietQueue(logging.Filter):
    """Drop the runner's per-second notes about runs waiting for a deployment slot: with 50
    queued files they would be 50 lines a second, and the slot wait is expected, not news."""

    NOISE = ("skipped (at capacity)", "Aborted submission of flow run")

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        return not any(n in message for n in self.NOISE)


def _configure_logging() -> None:
    logging.basicConfig(
        level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("flows").setLevel(logging.INFO)
    for name in ("prefect.runner", "prefect.runner.state_proposer"):
        logging.getLogger(name).addFilter(_QuietQueue())


def _wait_for_stop() -> None:
    """Block until Ctrl-C (KeyboardInterrupt) or SIGTERM (systemd's stop)."""
    import threading

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    while not stop.wait(1.0):
        pass


def run(args: argparse.Namespace) -> int:
    _configure_logging()
    settings = load_settings(args.warehouse)
    _configure_env(args)
    server = _start_server(args)
    watcher = sensor = None
    try:
        from prefect.runner import Runner

        from flows.deployments import DeploymentOptions, build_deployments, deploy_to_pool
        from flows.deployments_events import emit_file_landed, emit_refresh_requested
        from flows.deployments_refresh import active_ingest_paths
        from flows.deployments_writer import WRITER_LIMIT, ensure_writer_limit
        from flows.notify import ensure_alerting, webhook_url_from_env
        from flows.sensor import AnnouncedFiles, FingerprintCache, Sensor, reconcile_once
        from flows.watcher import LandingWatcher

        ensure_writer_limit()
        alerts = ensure_alerting(args.alert_webhook or webhook_url_from_env())
        opts = DeploymentOptions(
            warehouse=str(Path(settings.warehouse).resolve()),
            nightly_cron=args.nightly_cron,
            timezone=args.timezone,
            as_of=args.as_of,
            refresh_quiet_s=args.refresh_quiet,
        )
        started = time.perf_counter()
        runner = None
        if args.work_pool:
            deploy_to_pool(opts, args.work_pool)
            where = f"work pool {args.work_pool!r} (start: prefect worker start --pool ...)"
        else:
            runner = Runner(name="customs-credit", limit=args.limit, pause_on_shutdown=True)
            for deployment in build_deployments(opts):
                runner.add_deployment(deployment)
            where = "served here"
        print(
            f"registered 4 deployments in {time.perf_counter() - started:.1f} s, {where}: "
            f"nightly ({args.nightly_cron}, {args.timezone}), ingest (customs.file.landed), "
            "refresh (customs.batch.accepted), publish",
            flush=True,
        )
        print(
            f"writer limit {WRITER_LIMIT!r}: 1 slot; alerts: "
            f"{alerts.webhook_url or 'none (set CUSTOMS_CREDIT_ALERT_WEBHOOK)'}",
            flush=True,
        )

        announced = AnnouncedFiles()
        cache = FingerprintCache()
        settings.landing.mkdir(parents=True, exist_ok=True)
        watcher = LandingWatcher(
            settings.landing,
            announce=lambda p: emit_file_landed(p, "watcher"),
            announced=announced,
            settle_s=args.settle_seconds,
        ).start()
        sensor = Sensor(
            lambda: reconcile_once(
                settings,
                cache,
                announced,
                announce=lambda p: emit_file_landed(p, "sensor"),
                request_refresh=lambda: emit_refresh_requested("sensor: snapshot lags"),
                in_flight=active_ingest_paths,
            ),
            interval_s=args.sensor_seconds,
        ).start()
        print(
            f"watching {settings.landing.resolve()} (sensor every {args.sensor_seconds:.0f} s); "
            f"warehouse {opts.warehouse}; Ctrl-C stops",
            flush=True,
        )
        try:
            if runner is not None:
                asyncio.run(runner.start())  # handles SIGTERM itself: returns when stopped
            else:
                _wait_for_stop()
        except KeyboardInterrupt:
            print("interrupted: stopping", file=sys.stderr, flush=True)
    finally:
        # Ctrl-C twice must not leave the server behind: ignore further SIGINTs while stopping.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        if watcher is not None:
            watcher.stop()
        if sensor is not None:
            sensor.stop()
        if server is not None:
            server.stop()
            print("Prefect server stopped", flush=True)
    return 0
