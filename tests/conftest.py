"""Fixtures shared by every test module: offline mode, a warehouse under tmp_path, Prefect."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from warehouse.settings import OFFLINE_ENV, Settings

for _key, _value in OFFLINE_ENV.items():  # before anything imports prefect or GX
    os.environ.setdefault(_key, _value)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings pointing at a fresh warehouse, landing and serving folder under tmp_path."""
    base = tmp_path / "wh"
    return Settings(
        warehouse=base / "credit.duckdb",
        landing=base / "landing",
        serving=base / "serving",
        memory_limit="1GB",
        threads=2,
    )


@pytest.fixture
def world(tmp_path: Path) -> Iterator:
    """A tiny staging world for the rule tests (tests/rules_world.py), closed after."""
    from tests.rules_world import World

    w = World(tmp_path / "w.duckdb")
    yield w
    w.con.close()


@pytest.fixture
def warehouse(settings: Settings) -> Iterator:
    """An open read-write connection to the fresh warehouse (schema created), closed after."""
    from warehouse.connection import connect

    con = connect(settings)
    yield con
    con.close()


@pytest.fixture(scope="module")
def prefect_harness() -> Iterator[None]:
    """A temporary Prefect API and database for one module (~10 s).

    Not session-wide: its teardown drains Prefect's event and log workers, and once the real
    local server of the orchestration tests (tests/prefect_server.py) has come and gone those
    workers point at a dead URL and the drain never returns."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness():
        yield
