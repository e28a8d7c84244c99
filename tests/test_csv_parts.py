"""The fast path's CSV parts: where a file may be cut, row numbers across parts, the pipes, and
the rows going straight into staging (fallback, rejection, replaced keys)."""

from __future__ import annotations

import time
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from tests.ingest_helpers import DECL_1, DECLARATIONS_HEADER, LOAD_DATE, fingerprint, write_csv
from warehouse import csv_parts
from warehouse.csv_parts import Part, plan_parts, served
from warehouse.ingest import ingest_file


def rows_text(n: int, end: bytes = b"\n") -> bytes:
    return b"".join(b"%05d,aaaaaaa" % i + end for i in range(n))


@pytest.fixture
def small_parts(monkeypatch):
    """Cut files of a few KiB too (real parts are at least 16 MiB)."""
    monkeypatch.setattr(csv_parts, "MIN_PART_BYTES", 256)
    monkeypatch.setattr(csv_parts, "SCAN_CHUNK", 97)  # odd sizes: patterns across the seams


def test_cuts_at_line_ends_and_counts_the_records_before(tmp_path: Path, small_parts):
    for end in (b"\n", b"\r\n"):
        path = tmp_path / "x.csv"
        path.write_bytes(b"h1,h2" + end + rows_text(300, end))
        parts = plan_parts(path, 4)
        assert parts is not None and len(parts) == 4
        data = path.read_bytes()
        for part in parts:
            assert part.start == 0 or data[part.start - 1 : part.start] == b"\n"
            # records before = data lines before the part (the header is not one)
            assert part.rows_before == max(data[: part.start].count(b"\n") - 1, 0)
        assert parts[-1].end == len(data)


@pytest.mark.parametrize(
    "text",
    [
        b"h\n" + rows_text(100) + b"\n" + rows_text(100),  # blank line: DuckDB skips it
        b"h\r\n" + rows_text(100, b"\r\n") + b"\r\n" + rows_text(100, b"\r\n"),
        b"h\n" + rows_text(100).replace(b"aa", b"a\ra", 1) + rows_text(100),  # stray CR
        b'h\n"quoted\nline",x\n' + rows_text(200),  # a quote may hide a line end
        b"\nh\n" + rows_text(200),
    ],
)
def test_files_that_cannot_be_cut_safely(tmp_path: Path, small_parts, text: bytes):
    path = tmp_path / "x.csv"
    path.write_bytes(text)
    assert plan_parts(path, 4) is None


def test_small_files_are_one_part(tmp_path: Path):
    path = tmp_path / "x.csv"
    path.write_bytes(b'h\n"a",b\n')  # quotes do not matter for one part
    assert plan_parts(path, 4) == [Part(0, path.stat().st_size, 0)]


def test_pipes_feed_the_parts_and_stop_when_nobody_reads(tmp_path: Path, small_parts):
    path = tmp_path / "x.csv"
    path.write_bytes(b"a,b\n" + rows_text(2000))
    parts = plan_parts(path, 3)
    assert parts is not None
    con = duckdb.connect()
    with served(path, parts) as pipes:
        sources = [
            f"SELECT * FROM read_csv('{p}', header = {k == 0}, auto_detect = false, "
            "columns = {'a': 'VARCHAR', 'b': 'VARCHAR'})"
            for k, p in enumerate(pipes)
        ]
        got = con.sql(" UNION ALL ".join(sources)).fetchall()
    assert sorted(got) == sorted((f"{i:05d}", "aaaaaaa") for i in range(2000))
    # The read failed before opening the pipes: leaving does not wait for a reader.
    t = time.perf_counter()
    with pytest.raises(RuntimeError), served(path, parts):
        raise RuntimeError("the query failed")
    assert time.perf_counter() - t < 5


def declarations(n: int, start: int = 0, value: str = "10.00") -> list[list[str]]:
    rows = [DECLARATIONS_HEADER]
    for i in range(start, start + n):
        rows.append([f"22012024{i % 2}{i:09d}", *DECL_1[1:4], "IE"[i % 2 == 0], *DECL_1[5:8],
                     value, DECL_1[9]])  # fmt: skip
    return rows


def test_rows_go_straight_into_staging_numbered_across_parts(
    warehouse, settings, tmp_path, small_parts
):
    first = ingest_file(
        warehouse, settings, write_csv(tmp_path / "a" / "declarations.csv", declarations(500))
    )
    assert first.status == "accepted", first.reason
    # A second file replacing 100 keys of the first, into a staging table that has rows.
    rows = declarations(400, start=400, value="99.00")
    path = write_csv(tmp_path / "b" / "declarations.csv", rows)
    assert len(plan_parts(path, 4) or []) == 4
    report = ingest_file(warehouse, settings, path, load_date=LOAD_DATE)
    assert report.status == "accepted", report.reason
    got = warehouse.sql(
        "SELECT source_row, entry_id FROM staging.declarations WHERE batch_id = ? ORDER BY 1",
        params=[report.batch_id],
    ).fetchall()
    assert got == [(i, r[0]) for i, r in enumerate(rows[1:], start=1)]
    assert warehouse.sql("SELECT count(*) FROM staging.declarations").fetchall() == [(800,)]
    superseded = warehouse.sql(
        "SELECT count(*), min(value_cny), max(value_cny), min(source_row), max(source_row) "
        "FROM raw.declarations_superseded"
    ).fetchall()
    assert superseded == [(100, Decimal("10.00"), Decimal("10.00"), 401, 500)]
    # the derived aggregates moved with the rows
    assert warehouse.sql("SELECT sum(n) FROM derived.declaration_months").fetchall() == [(800,)]


def test_a_bad_value_in_a_later_part_falls_back_and_rejects_with_its_row(
    warehouse, settings, tmp_path, small_parts
):
    ingest_file(warehouse, settings, write_csv(tmp_path / "a" / "declarations.csv",
                                               declarations(50)))  # fmt: skip
    before = fingerprint(warehouse)
    rows = declarations(400, start=1000)
    rows[350][8] = "1.234"  # money with 3 decimals: error() in the fast read
    path = write_csv(tmp_path / "b" / "declarations.csv", rows)
    assert len(plan_parts(path, 4) or []) == 4
    report = ingest_file(warehouse, settings, path, load_date=LOAD_DATE)
    assert report.status == "rejected"
    first = report.findings[0]
    assert (first.rule, first.row, first.column, first.value) == (
        "money_decimals",
        350,
        "value_cny",
        "1.234",
    )
    assert fingerprint(warehouse) == before
