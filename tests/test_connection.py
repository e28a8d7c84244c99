"""Opening the warehouse while another process holds it: wait, then say who holds it."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
import time
from pathlib import Path

import pytest

from flows.cli import main
from warehouse.connection import connect
from warehouse.errors import WarehouseBusy
from warehouse.settings import load_settings

HOLD = (
    "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); "
    "print('held', flush=True); time.sleep(float(sys.argv[2]))"
)


def _hold(path: Path, seconds: float) -> subprocess.Popen[str]:
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(path), str(seconds)], stdout=subprocess.PIPE, text=True
    )
    assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
    return holder


def test_a_held_warehouse_is_waited_for_then_opened(tmp_path: Path) -> None:
    path = tmp_path / "w.duckdb"
    connect(load_settings(path)).close()
    holder = _hold(path, 1.0)
    started = time.monotonic()
    con = connect(dataclasses.replace(load_settings(path), lock_wait_s=30))
    waited = time.monotonic() - started
    holder.wait()
    assert con.execute("SELECT count(*) FROM ops.ingest_ledger").fetchall() == [(0,)]
    con.close()
    assert 0.3 < waited < 20


def test_a_warehouse_held_too_long_is_reported_with_its_holder(tmp_path, monkeypatch, capsys):
    path = tmp_path / "w.duckdb"
    connect(load_settings(path)).close()
    holder = _hold(path, 30.0)
    try:
        with pytest.raises(WarehouseBusy, match=rf"in use by PID {holder.pid} .*waited 0.5 s"):
            connect(dataclasses.replace(load_settings(path), lock_wait_s=0.5))
        monkeypatch.setenv("CUSTOMS_CREDIT_LOCK_WAIT", "0.2")
        assert main(["--warehouse", str(path), "status"]) == 75
        err = capsys.readouterr().err.strip().splitlines()
        assert err[-1].startswith(f"error: warehouse {path} is in use by PID {holder.pid}")
    finally:
        holder.kill()
        holder.wait()


def test_the_block_pool_is_configured_and_can_be_turned_off(tmp_path, monkeypatch):
    from warehouse.settings import load_settings

    setting = "SELECT current_setting('block_allocator_memory')"
    con = connect(load_settings(tmp_path / "a.duckdb"))
    assert con.sql(setting).fetchall() == [("244.1 MiB",)]  # 256 MB
    con.close()
    monkeypatch.setenv("CUSTOMS_CREDIT_BLOCK_POOL", "0MB")
    con = connect(load_settings(tmp_path / "b.duckdb"))
    assert con.sql(setting).fetchall() == [("0 bytes",)]
    con.close()
