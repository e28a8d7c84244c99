"""The serving copy is readable by other clients: DuckDB 1.x, polars, pandas, SQLAlchemy."""

from __future__ import annotations

import json
import os
import subprocess
import textwrap
from datetime import date
from pathlib import Path

import pytest

from tests.serving_fixture import make_settings
from warehouse.publish import PublishResult, publish
from warehouse.serving_datasets import DATASETS
from warehouse.serving_views import SERVING_VIEWS

# A throwaway venv with DuckDB 1.x (see the skip reason for how to make one).
DUCKDB1_PYTHON = Path(os.environ.get("CUSTOMS_CREDIT_DUCKDB1_PYTHON", "/tmp/ddb1/bin/python"))


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> PublishResult:
    settings = make_settings(tmp_path_factory.mktemp("compat") / "wh")
    return publish(settings)


def _manifest_rows(result: PublishResult) -> dict[str, int]:
    manifest = json.loads((result.version_dir / "manifest.json").read_text(encoding="utf-8"))
    return {name: d["rows"] for name, d in manifest["datasets"].items()}


DUCKDB1_SCRIPT = textwrap.dedent(
    """
    import json, sys
    import duckdb

    version_dir, serving_db, names, views = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
    out = {"version": duckdb.__version__, "parquet": {}, "views": {}}
    con = duckdb.connect()
    for pair in names.split(","):  # name=file (a glob for the marts' history, one file per as_of)
        name, file = pair.split("=")
        out["parquet"][name] = con.sql(
            f"SELECT count(*) FROM read_parquet('{version_dir}/{file}')").fetchall()[0][0]
    out["blockers"] = con.sql(
        f"SELECT blockers FROM read_parquet('{version_dir}/eligibility_snapshot/*.parquet') "
        "WHERE customs_code = '4200000001' AND as_of = DATE '2026-06-30'").fetchall()[0][0]
    out["money"] = str(con.sql(
        f"SELECT sum(counted_fines_cny) FROM "
        f"read_parquet('{version_dir}/enterprise_indicators/*.parquet')").fetchall()[0][0])
    # The views script rebuilds the serving views in memory in any DuckDB.
    mem = duckdb.connect()
    mem.execute(open(f"{version_dir}/views.sql", encoding="utf-8").read())
    out["script_changes"] = mem.sql(
        "SELECT count(*) FROM snapshot_changes WHERE any_change").fetchall()[0][0]
    # And the serving file itself opens (written in the v1.0.0 storage format).
    srv = duckdb.connect(serving_db, read_only=True)
    for view in views.split(","):
        out["views"][view] = srv.sql(f"SELECT count(*) FROM {view}").fetchall()[0][0]
    print(json.dumps(out))
    """
)


@pytest.mark.skipif(
    # `make test` always provides it (so CI never skips); a bare pytest run may not.
    not DUCKDB1_PYTHON.exists() and "CUSTOMS_CREDIT_DUCKDB1_PYTHON" not in os.environ,
    reason=f"no DuckDB 1.x interpreter at {DUCKDB1_PYTHON}; create it with "
    "`uv venv /tmp/ddb1 && uv pip install --python /tmp/ddb1 'duckdb<2'` "
    "or set CUSTOMS_CREDIT_DUCKDB1_PYTHON",
)
def test_duckdb_1x_reads_parquet_and_serving_file(published: PublishResult) -> None:
    views = [v.name for v in SERVING_VIEWS]
    proc = subprocess.run(
        [
            str(DUCKDB1_PYTHON),
            "-c",
            DUCKDB1_SCRIPT,
            str(published.version_dir),
            str(published.serving_db),
            ",".join(f"{ds.name}={ds.file_name}" for ds in DATASETS),
            ",".join(views),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["version"].startswith("1.")
    assert out["parquet"] == _manifest_rows(published)
    assert out["blockers"] == ["A1", "A6"]
    assert out["money"] == "3150000.00"  # 3 as_of x CNY 1,050,000, DECIMAL kept exact
    assert out["script_changes"] == 4
    assert out["views"]["current_snapshot"] == 5
    assert out["views"]["snapshot_changes"] == 10


def test_polars_reads_every_file(published: PublishResult) -> None:
    import polars as pl

    rows = _manifest_rows(published)
    for ds in DATASETS:
        df = pl.read_parquet(str(published.version_dir / ds.file_name))  # a glob by as_of
        assert df.height == rows[ds.name], ds.name
    snap = pl.read_parquet(str(published.version_dir / "eligibility_snapshot" / "*.parquet"))
    row = snap.filter(
        (pl.col("customs_code") == "4200000002") & (pl.col("as_of") == date(2026, 6, 30))
    ).row(0, named=True)
    assert row["blockers"] == ["A1", "A4"]
    assert row["assessed_level"] == "dishonest"
    assert snap.schema["as_of"] == pl.Date


def test_pandas_reads_every_file(published: PublishResult) -> None:
    import pandas as pd

    rows = _manifest_rows(published)
    for ds in DATASETS:
        # the marts' history is a folder of files, one per as_of: pandas reads the folder
        df = pd.read_parquet(published.version_dir / (ds.name if ds.by_as_of else ds.file_name))
        assert len(df) == rows[ds.name], ds.name
    rr = pd.read_parquet(published.version_dir / "rule_results")
    a1 = rr[(rr.customs_code == "4200000001") & (rr.rule_id == "A1")]
    assert sorted(str(d) for d in a1.expiry_date) == ["2030-02-09"] * 3
    assert a1.explanation_zh.iloc[0].startswith("符合失信标准D3")


def test_sqlalchemy_duckdb_engine_read_only(published: PublishResult) -> None:
    """The way Superset connects: duckdb:///<file> with read_only in connect_args."""
    import sqlalchemy as sa

    engine = sa.create_engine(
        f"duckdb:///{published.serving_db}",
        connect_args={"read_only": True},
        poolclass=sa.pool.NullPool,
    )
    try:
        with engine.connect() as conn:
            names = set(sa.inspect(conn).get_view_names())
            assert {v.name for v in SERVING_VIEWS} <= names
            assert {ds.name for ds in DATASETS} <= names
            ready = conn.execute(
                sa.text(
                    "SELECT customs_code FROM current_snapshot WHERE advanced_ready "
                    "ORDER BY customs_code"
                )
            ).fetchall()
            assert [r[0] for r in ready] == ["4200000004", "4200000005"]
            version = conn.execute(sa.text("SELECT version FROM serving_info")).scalar_one()
            assert version == published.version
    finally:
        engine.dispose()
