"""A real local Prefect server for the orchestration tests, once per test session.

`prefect server start` on a free 127.0.0.1 port with PREFECT_HOME under a tmp dir (~10-25 s,
mostly the SQLite migrations). The test process and every child process it starts talk to it
through PREFECT_API_URL. Import the fixture into a test module:

    from tests.prefect_server import prefect_server  # noqa: F401
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator

import pytest

from flows.serve_server import LocalPrefectServer

# Server-side: a queued run of a deployment with concurrency_limit=1 is retried after this many
# seconds (Prefect's default is 30).
SERVER_ENV = {"PREFECT_SERVER_DEPLOYMENTS_CONCURRENCY_SLOT_WAIT_SECONDS": "2"}


@pytest.fixture(scope="session")
def prefect_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalPrefectServer]:
    home = tmp_path_factory.mktemp("prefect-home")
    saved = {k: os.environ.get(k) for k in (*SERVER_ENV, "PREFECT_API_URL", "PREFECT_HOME")}
    os.environ.update(SERVER_ENV)
    server = LocalPrefectServer(home=home, ui=False)
    started = time.perf_counter()
    server.start()
    print(f"\nPrefect server on {server.api_url} ready in {time.perf_counter() - started:.1f} s")
    os.environ["PREFECT_API_URL"] = server.api_url
    os.environ["PREFECT_HOME"] = str(home)
    from prefect.settings import PREFECT_API_URL, PREFECT_HOME, temporary_settings

    try:
        # Prefect may already be imported with other settings: override in-process too.
        with temporary_settings(updates={PREFECT_API_URL: server.api_url, PREFECT_HOME: home}):
            yield server
    finally:
        server.stop()
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
