"""Publish under real processes: a BI reader in another process, and a publish that is killed."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import textwrap
import time
from datetime import date, timedelta
from pathlib import Path

import duckdb

from tests.serving_fixture import RULE_IDS, insert_evaluation, make_settings
from warehouse.connection import connect
from warehouse.publish import publish
from warehouse.serving_layout import ServingLayout

ENTERPRISES = 5

READER = textwrap.dedent(
    """
    import json, os, sys, time
    import duckdb

    serving, stop, out, rules, enterprises = sys.argv[1:6]
    rules, enterprises = int(rules), int(enterprises)
    versions, errors, queries = [], [], 0
    while not os.path.exists(stop):
        try:
            con = duckdb.connect(serving, read_only=True)
            try:
                # Hold the file across several queries, as a BI session does, while the writer
                # publishes and switches underneath.
                version = con.sql("SELECT version FROM serving_info").fetchall()[0][0]
                expected = dict(con.sql(
                    "SELECT name, rows FROM serving_datasets WHERE kind = 'parquet'").fetchall())
                time.sleep(0.02)
                snap = con.sql("SELECT count(*) FROM eligibility_snapshot").fetchall()[0][0]
                rr = con.sql("SELECT count(*) FROM rule_results").fetchall()[0][0]
                ev = con.sql("SELECT count(*) FROM evaluations").fetchall()[0][0]
                cur = con.sql("SELECT count(*) FROM current_snapshot").fetchall()[0][0]
                hist = con.sql("SELECT count(*) FROM enterprise_history").fetchall()[0][0]
                queries += 6
            finally:
                con.close()
            if not (rr == snap * rules and snap == ev * enterprises and cur == enterprises
                    and snap == expected["eligibility_snapshot"] == hist
                    and rr == expected["rule_results"]):
                errors.append(f"inconsistent {version}: snap={snap} rr={rr} ev={ev} cur={cur}")
            if not versions or versions[-1] != version:
                versions.append(version)
        except Exception as exc:  # any error at all is a failure of the serving design
            errors.append(repr(exc))
    with open(out, "w") as fh:
        json.dump({"versions": versions, "errors": errors, "queries": queries}, fh)
    """
)


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        PREFECT_SERVER_ANALYTICS_ENABLED="false", DO_NOT_TRACK="1", GX_ANALYTICS_ENABLED="false"
    )
    root = str(Path(__file__).resolve().parent.parent)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
    return env


def test_reader_process_never_blocks_or_sees_half_a_version(tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "wh")
    publish(settings, keep_versions=3)
    layout = ServingLayout(settings.serving)
    script = tmp_path / "reader.py"
    script.write_text(READER, encoding="utf-8")
    stop, out = tmp_path / "stop", tmp_path / "reader.json"
    reader = subprocess.Popen(
        [sys.executable, str(script), str(layout.serving_db), str(stop), str(out),
         str(len(RULE_IDS)), str(ENTERPRISES)],
        env=_env(),
    )  # fmt: skip
    published = []
    try:
        time.sleep(1.0)  # let the reader open the file first
        for i in range(6):
            # The pipeline writes the warehouse (a new evaluation) and publishes, while the
            # reader holds the serving file open: neither may fail nor wait.
            con = connect(settings)
            insert_evaluation(con, date(2026, 7, 1) + timedelta(days=i))
            started = time.perf_counter()
            result = publish(settings, keep_versions=3, con=con if i % 2 else None)
            assert time.perf_counter() - started < 30
            con.close()
            published.append(result.version)
            time.sleep(0.3)
    finally:
        stop.touch()
        reader.wait(timeout=60)
    report = json.loads(out.read_text(encoding="utf-8"))
    assert reader.returncode == 0
    assert report["errors"] == []
    assert report["queries"] > 50
    assert len(report["versions"]) >= 3  # it saw the switches happen
    assert report["versions"][-1] == published[-1]
    assert layout.versions() == published[-3:]


PUBLISHER = textwrap.dedent(
    """
    import sys
    from warehouse.publish import publish
    from warehouse.settings import load_settings

    print("START", flush=True)
    publish(load_settings(sys.argv[1]), keep_versions=2)
    print("DONE", flush=True)
    """
)


def _serving_state(layout: ServingLayout) -> tuple[str, int, int]:
    con = duckdb.connect(str(layout.serving_db), read_only=True)
    try:
        version = con.sql("SELECT version FROM serving_info").fetchall()[0][0]
        snap = con.sql("SELECT count(*) FROM eligibility_snapshot").fetchall()[0][0]
        rr = con.sql("SELECT count(*) FROM rule_results").fetchall()[0][0]
    finally:
        con.close()
    return version, snap, rr


def test_killed_publish_leaves_a_working_serving_copy(tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "wh")
    con = connect(settings)
    # Enough declarations that the publish takes a while to kill it part-way.
    con.execute(
        """INSERT INTO staging.declarations
        SELECT lpad(CAST(100000000000000000 + i AS VARCHAR), 18, '0'),
               '42000000' || lpad(CAST(i % 5 + 1 AS VARCHAR), 2, '0'),
               '42000000' || lpad(CAST(i % 5 + 1 AS VARCHAR), 2, '0'),
               DATE '2025-01-01' + CAST(i % 540 AS INTEGER),
               CASE WHEN i % 2 = 0 THEN 'E' ELSE 'I' END,
               '5300', '0110', 'entry', CAST(i % 9999 AS DECIMAL(18, 2)), 'released', 'bench', i
        FROM range(400000) AS t(i)"""
    )  # fmt: skip
    con.close()
    layout = ServingLayout(settings.serving)
    publish(settings, keep_versions=2)
    started = time.perf_counter()
    publish(settings, keep_versions=2)
    publish_s = time.perf_counter() - started

    script = tmp_path / "publisher.py"
    script.write_text(PUBLISHER, encoding="utf-8")
    rng = random.Random(5)
    interrupted = 0
    for attempt in range(6):
        proc = subprocess.Popen(
            [sys.executable, str(script), str(settings.warehouse)],
            env=_env(),
            stdout=subprocess.PIPE,
            text=True,
            cwd=Path(__file__).resolve().parent.parent,
        )
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "START"
        time.sleep(publish_s * attempt / 5 + rng.uniform(0.0, 0.05))
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        # Whatever the moment of death: the serving file opens, shows one complete version
        # (the previous one, or the new one if the switch had happened), and agrees with itself.
        version, snap, rr = _serving_state(layout)
        assert snap == 15 and rr == 15 * len(RULE_IDS)
        assert layout.version_dir(version).is_dir()
        assert version in layout.versions()
        if layout.leftovers() or version != layout.versions()[-1]:
            interrupted += 1  # died half-way: debris, or a version folder never switched to
    assert interrupted >= 1
    final = publish(settings, keep_versions=2)
    assert layout.leftovers() == []
    assert _serving_state(layout)[0] == final.version == layout.read_current()
    assert len(layout.versions()) == 2
