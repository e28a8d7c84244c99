"""A BI reader in another process, reading the serving copy in a loop during a full nightly run.

The nightly flow (ingest pending landing files, evaluate, publish) runs for real in Prefect against
a real local server while the reader holds serving.duckdb open across queries. The reader must
never see an error or a half-published version, and the run must never fail on a DuckDB lock.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest

from tests.prefect_server import prefect_server  # noqa: F401
from warehouse.settings import load_settings

ROOT = Path(__file__).resolve().parent.parent
RULES = 20

READER = textwrap.dedent(
    """
    import json, os, sys, time
    import duckdb

    serving, stop, out, rules = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    versions, errors, queries = [], [], 0
    while not os.path.exists(stop):
        try:
            con = duckdb.connect(serving, read_only=True)
            try:
                version = con.sql("SELECT version FROM serving_info").fetchall()[0][0]
                as_of = con.sql("SELECT max(as_of) FROM eligibility_snapshot").fetchall()[0][0]
                time.sleep(0.02)  # hold the file across queries, as a BI session does
                snap = con.sql("SELECT count(*) FROM current_snapshot").fetchall()[0][0]
                rr = con.sql(
                    "SELECT count(*) FROM rule_results WHERE as_of = $d", params={"d": as_of}
                ).fetchall()[0][0]
                ent = con.sql("SELECT count(*) FROM enterprises").fetchall()[0][0]
                queries += 5
            finally:
                con.close()
            if not (rr == snap * rules and snap == ent and snap > 0):
                errors.append(f"inconsistent {version}: snapshot={snap} rules={rr} ent={ent}")
            if not versions or versions[-1] != version:
                versions.append(version)
        except Exception as exc:  # any error at all is a failure of the serving design
            errors.append(repr(exc))
        time.sleep(0.01)
    with open(out, "w") as fh:
        json.dump({"versions": versions, "errors": errors, "queries": queries}, fh)
    """
)


def run_nightly(as_of: str, warehouse: Path, env: dict[str, str]) -> dict:
    """The nightly flow in its own process, as a served deployment runs it (and with a Prefect
    client state of its own, untouched by the other tests of this session)."""
    code = (
        "import json, sys; from flows.nightly import nightly; "
        "print('RESULT ' + json.dumps(nightly(as_of=sys.argv[1], warehouse=sys.argv[2])))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, as_of, str(warehouse)],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    lines = [ln for ln in done.stdout.splitlines() if ln.startswith("RESULT ")]
    assert done.returncode == 0 and lines, done.stderr[-3000:]
    return json.loads(lines[-1][len("RESULT ") :])


@pytest.mark.prefect
def test_reader_in_a_loop_during_a_full_nightly_run(
    tmp_path: Path,
    prefect_server: Any,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from sampledata.generator import generate

    warehouse = tmp_path / "wh" / "credit.duckdb"
    monkeypatch.setenv("CUSTOMS_CREDIT_WAREHOUSE", str(warehouse))
    monkeypatch.setenv("CUSTOMS_CREDIT_THREADS", "1")
    settings = load_settings(warehouse)
    settings.landing.mkdir(parents=True)

    # Night 1: the first data, the first serving copy.
    generate(
        settings.landing / "night1", enterprises=20, declarations=3000, seed=5, as_of="2025-09-30"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PREFECT_API_URL": prefect_server.api_url}
    first = run_nightly("2025-09-30", warehouse, env)
    assert first["accepted"] == 9 and first["rejected"] == 0 and first["enterprises"] == 20

    # Night 2: more files land; a reader works on the serving copy during the whole run.
    generate(tmp_path / "night2", enterprises=25, declarations=4000, seed=6, as_of="2025-10-31")
    shutil.move(tmp_path / "night2", settings.landing / "night2")
    script, stop, out = tmp_path / "reader.py", tmp_path / "stop", tmp_path / "reader.json"
    script.write_text(READER, encoding="utf-8")
    reader = subprocess.Popen(
        [
            sys.executable,
            str(script),
            str(settings.serving / "serving.duckdb"),
            str(stop),
            str(out),
            str(RULES),
        ],
        env=env,
    )
    try:
        time.sleep(0.5)  # the reader is inside the file before the run starts
        second = run_nightly("2025-10-31", warehouse, env)
        time.sleep(0.5)
    finally:
        stop.touch()
        reader.wait(30)
    seen = json.loads(out.read_text(encoding="utf-8"))

    assert second["accepted"] == 9 and second["rejected"] == 0
    assert second["enterprises"] == 45  # 20 + 25 generated with different seeds
    assert seen["errors"] == []
    assert seen["queries"] > 20
    assert len(seen["versions"]) == 2, seen["versions"]  # the old version, then the new one
    assert seen["versions"][-1] == second["version"]
