"""The sample generator's folders in every format load to the same staging rows."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from sampledata.generator import generate
from warehouse.connection import connect
from warehouse.contract import KINDS
from warehouse.ingest import ingest_paths
from warehouse.settings import Settings

AS_OF = "2026-06-30"


def _load(tmp_path: Path, fmt: str) -> Path:
    folder = tmp_path / fmt
    generate(folder, enterprises=25, declarations=600, seed=11, fmt=fmt, as_of=AS_OF)
    base = tmp_path / f"wh-{fmt}"
    settings = Settings(base / "credit.duckdb", base / "landing", base / "serving", "1GB", 2)
    con = connect(settings)
    try:
        from datetime import date

        reports = ingest_paths(con, settings, [folder], load_date=date.fromisoformat(AS_OF))
    finally:
        con.close()
    assert {r.status for r in reports} == {"accepted"}, [r.line() for r in reports]
    assert len(reports) == len(KINDS)
    return settings.warehouse


@pytest.mark.slow
def test_every_format_loads_the_same_rows(tmp_path: Path):
    files = {fmt: _load(tmp_path, fmt) for fmt in ("csv", "csv-gbk", "xlsx", "parquet")}
    con = duckdb.connect()
    for fmt, path in files.items():
        con.execute(f"ATTACH '{path}' AS \"{fmt}\" (READ_ONLY)")
    for kind in KINDS.values():
        cols = ", ".join(kind.column_names)
        n = con.sql(f'SELECT count(*) FROM "csv".staging.{kind.name}').fetchall()[0][0]
        assert n > 0, kind.name
        for fmt in ("csv-gbk", "xlsx", "parquet"):
            diff = con.sql(
                f'(SELECT {cols} FROM "csv".staging.{kind.name} EXCEPT ALL '
                f'SELECT {cols} FROM "{fmt}".staging.{kind.name}) UNION ALL '
                f'(SELECT {cols} FROM "{fmt}".staging.{kind.name} EXCEPT ALL '
                f'SELECT {cols} FROM "csv".staging.{kind.name})'
            ).fetchall()
            assert diff == [], (kind.name, fmt, diff[:3])
