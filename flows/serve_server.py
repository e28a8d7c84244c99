"""A local Prefect server as a child process: start on 127.0.0.1, wait for health, stop cleanly.

Used by `customs-credit serve` when PREFECT_API_URL is not set, by the test session fixture and by
the benchmark. The server runs in its own process group so that Ctrl-C in a terminal reaches only
`serve`, which then stops the server itself (SIGTERM to the group, SIGKILL after a grace period):
no orphaned server keeps the port or the SQLite file.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from warehouse.errors import UserError
from warehouse.settings import OFFLINE_ENV


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def api_healthy(api_url: str, timeout: float = 2.0) -> bool:
    try:
        with urllib.request.urlopen(f"{api_url}/health", timeout=timeout) as resp:
            return resp.status == 200
    except (urllib.error.URLError, OSError):
        return False


@dataclass
class LocalPrefectServer:
    """`prefect server start --host 127.0.0.1 --port P` with its own PREFECT_HOME (SQLite there)."""

    home: Path
    port: int = 0
    host: str = "127.0.0.1"
    ui: bool = True
    log_file: Path | None = None
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)
    startup_s: float = 0.0

    @property
    def api_url(self) -> str:
        return f"http://{self.host}:{self.port}/api"

    def start(self, timeout: float = 90.0) -> LocalPrefectServer:
        if self.port == 0:
            self.port = free_port(self.host)
        self.home.mkdir(parents=True, exist_ok=True)
        env = {
            **os.environ,
            **OFFLINE_ENV,
            "PREFECT_HOME": str(self.home),
            "PREFECT_SERVER_UI_ENABLED": "true" if self.ui else "false",
            # The server must not talk to itself through a stale client setting.
            "PREFECT_API_URL": "",
        }
        log_path = self.log_file or self.home / "server.log"
        log = log_path.open("ab")
        started = time.perf_counter()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "prefect", "server", "start"]
            + ["--host", self.host, "--port", str(self.port)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # Ctrl-C goes to us; we stop the server ourselves
        )
        log.close()
        deadline = started + timeout
        while time.perf_counter() < deadline:
            if self.process.poll() is not None:
                tail = log_path.read_text(errors="replace")[-2000:]
                raise UserError(f"the Prefect server exited during start-up:\n{tail}")
            if api_healthy(self.api_url, timeout=1.0):
                self.startup_s = time.perf_counter() - started
                return self
            time.sleep(0.25)
        self.stop()
        raise UserError(f"the Prefect server did not answer {self.api_url}/health in {timeout} s")

    def stop(self, grace: float = 15.0) -> None:
        proc = self.process
        if proc is None or proc.poll() is not None:
            return
        try:
            os.killpg(proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=5)

    def __enter__(self) -> LocalPrefectServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
