"""Readers and the pandera contract on their own: header matching, the fast and the robust way
to the same typed rows, chunked validation."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import duckdb
import polars as pl
import pytest

from expectations.contracts import enum_ok, pattern_ok, validate_frame, validate_table
from tests.ingest_helpers import CASES, DECLARATIONS, write_csv
from warehouse import ingest_batch
from warehouse.contract import KINDS, PATTERNS
from warehouse.ingest_batch import attach_batch_db, load_batch
from warehouse.ingest_types import BatchRejected
from warehouse.readers import map_header, open_csv
from warehouse.readers_sql import (
    csv_text_source,
    fast_csv_types,
    fast_select_sql,
    guaranteed_columns,
    read_csv_sql,
    robust_select_sql,
)


def test_header_matching_is_loose_but_complete():
    kind = KINDS["declarations"]
    header = ["\ufeff报关单号 ", "Consignee_Code", "申报单位", "DECLARE_DATE", "ie_flag",
              "customs_district", "trade_mode", "value_cny", "status", "备注"]  # fmt: skip
    hm, warnings = map_header(kind, header)
    assert hm.positions["entry_id"] == 0 and hm.positions["consignee_code"] == 1
    assert hm.missing_optional == ("doc_kind",)
    assert [(w.rule, w.column) for w in warnings] == [("extra_column", "备注")]
    with pytest.raises(BatchRejected) as exc:
        map_header(kind, ["entry_id", "报关单号", *header[1:]])
    assert exc.value.first.rule == "duplicate_column"


def test_fast_and_robust_paths_give_the_same_rows(tmp_path: Path):
    """The robust SQL (text + try-conversions) must type a clean file exactly as the fast one."""
    con = duckdb.connect()
    attach_batch_db(con)
    cases = [[("true" if v == "是" else v) for v in r] for r in CASES]  # 是 is for the robust way
    for kind_name, rows in (("declarations", DECLARATIONS), ("cases", cases)):
        kind = KINDS[kind_name]
        src = open_csv(write_csv(tmp_path / f"{kind_name}.csv", rows), tmp_path)
        hm, _ = map_header(kind, src.header)
        n = len(src.header)
        fast = con.sql(
            fast_select_sql(kind, hm, read_csv_sql(src.csv_path, fast_csv_types(kind, hm, n)))
        )
        robust = con.sql(robust_select_sql(kind, hm, csv_text_source(src.csv_path, n)))
        cols = [*kind.column_names, "source_row"]
        fast_rows = sorted(fast.select(*cols).fetchall(), key=lambda r: r[-1])
        robust_rows = sorted(robust.select(*cols).fetchall(), key=lambda r: r[-1])
        assert fast_rows == robust_rows
        assert fast.types == robust.select(*cols).types
        assert robust.select("_err", "_warn").fetchall() == [(None, None)] * (len(rows) - 1)


def test_clean_csv_takes_the_fast_path_and_dirty_one_the_robust(tmp_path: Path):
    con = duckdb.connect()
    kind = KINDS["declarations"]
    loaded = load_batch(
        con, kind, write_csv(tmp_path / "a" / "declarations.csv", DECLARATIONS), tmp_path
    )
    assert (loaded.path_taken, loaded.rows) == ("fast", 3)
    rows = [list(r) for r in DECLARATIONS]
    rows[2][3] = "20240302"  # YYYYMMDD: DuckDB's typed reader refuses it, the fallback reads it
    loaded = load_batch(con, kind, write_csv(tmp_path / "b" / "declarations.csv", rows), tmp_path)
    assert (loaded.path_taken, loaded.rows) == ("robust", 3)
    # The helper columns of the robust way are gone before anyone sees the table.
    assert [c[0] for c in con.sql(f"DESCRIBE {loaded.table}").fetchall()] == [
        *kind.column_names,
        "source_row",
    ]


def test_fast_path_numbers_rows_in_file_order_across_buffers(tmp_path: Path, monkeypatch):
    """The fast path reads without ordinality and numbers rows by position: with 1 MiB CSV
    buffers (many parallel pieces to put back in order) every source_row is still its data line."""
    monkeypatch.setattr(ingest_batch, "BIG_CSV_BYTES", 0)
    monkeypatch.setattr(ingest_batch, "CSV_BUFFER_BYTES", 1 << 20)
    rows = [DECLARATIONS[0]]
    for i in range(60_000):
        entry_id = f"2201202410{i:08d}"
        rows.append([entry_id, *DECLARATIONS[1][1:4], "I", *DECLARATIONS[1][5:]])
    path = write_csv(tmp_path / "declarations.csv", rows)
    assert path.stat().st_size > 4 << 20
    con = duckdb.connect(config={"threads": 4, "preserve_insertion_order": False})
    loaded = load_batch(con, KINDS["declarations"], path, tmp_path)
    assert (loaded.path_taken, loaded.rows) == ("fast", 60_000)
    got = con.sql(f"SELECT source_row, entry_id FROM {loaded.table} ORDER BY 1").fetchall()
    assert got == [(i, r[0]) for i, r in enumerate(rows[1:], start=1)]
    # the connection's own setting is back
    assert con.sql("SELECT current_setting('preserve_insertion_order')").fetchall() == [(False,)]


def test_codes_are_never_guessed_as_numbers(tmp_path: Path):
    con = duckdb.connect()
    rows = [list(r) for r in DECLARATIONS]
    rows[1][0] = "000120241000000001"  # leading zeros survive: VARCHAR, never BIGINT
    loaded = load_batch(
        con, KINDS["declarations"], write_csv(tmp_path / "declarations.csv", rows), tmp_path
    )
    assert con.sql(f"SELECT entry_id FROM {loaded.table} WHERE source_row = 1").fetchall() == [
        ("000120241000000001",)
    ]


def frame(**cols) -> pl.DataFrame:
    return pl.DataFrame(cols)


def test_contract_finds_money_decimals_in_a_float_frame():
    """The contract judges what it is given: a frame whose money is Float64 breaks the dtype and
    the 2-decimals rule, each reported once with its first row."""
    kind = KINDS["financials"]
    df = pl.DataFrame(
        {
            "customs_code": ["1100000001", "1100000002"],
            "fiscal_year": pl.Series([2024, 2024], dtype=pl.Int32),
            "total_assets": [100.5, 10.125],
            "total_liabilities": pl.Series(
                [Decimal("1.00"), Decimal("-1.00")], dtype=pl.Decimal(18, 2)
            ),
            "source_row": [7, 8],
        }
    )
    found = {(f.rule, f.column): f for f in validate_frame(kind.name, df)}
    assert found[("money_decimals", "total_assets")].row == 8
    assert found[("money_decimals", "total_assets")].value == "10.125"
    assert ("dtype", "total_assets") in found
    assert (
        found[("min_value", "total_liabilities")].row,
        found[("min_value", "total_liabilities")].value,
    ) == (
        8,
        "-1.00",
    )


@pytest.mark.parametrize("workers", [1, 3])
def test_chunked_validation_merges_findings_across_chunks(workers: int):
    con = duckdb.connect()
    # 10 rows, every 3rd with a bad code; chunks of 4 rows.
    con.execute(
        "CREATE TABLE t AS SELECT "
        "CASE WHEN i % 3 = 0 THEN 'bad' ELSE '1100000001' END AS customs_code, "
        "(2000 + i)::INTEGER AS fiscal_year, 10.00::DECIMAL(18,2) AS total_assets, "
        "0.00::DECIMAL(18,2) AS total_liabilities, (i + 1)::BIGINT AS source_row "
        "FROM range(10) r(i)"
    )
    found = validate_table(con, "financials", "t", chunk_rows=4, workers=workers)
    assert [(f.rule, f.column, f.row, f.count, f.value) for f in found] == [
        ("pattern", "customs_code", 1, 4, "bad")
    ]


@pytest.mark.parametrize("pattern", sorted(set(PATTERNS.values())))
def test_pattern_checks_agree_with_the_anchored_regex_on_fuzzed_text(pattern: str):
    """The contract may check a pattern without its regex (n digits: a length and an unsigned
    parse); on any text, null included, the verdict must be the regex's."""
    import random

    rnd = random.Random(7)
    n = int(pattern.split("{")[1].rstrip("}"))
    good = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ" if "A-Z" in pattern else "0123456789"
    odd = list("+-. _eExXbBoO\n\t\r,azé") + ["１", "٣", "\u00a0", "\u3000", "\x00", "∞", "0x"]
    values: list[str | None] = [None, "", "+" + "1" * (n - 1), "-" + "1" * (n - 1), "9" * n]
    for _ in range(60_000):
        length = rnd.choice([n - 1, n, n, n, n + 1, 1, 19, 20])
        chars = [rnd.choice(good) for _ in range(max(length, 0))]
        for _ in range(rnd.choice([0, 0, 1, 2])):
            if chars:
                chars[rnd.randrange(len(chars))] = rnd.choice(odd)
        values.append("".join(chars))
    df = pl.DataFrame({"v": pl.Series(values, dtype=pl.Utf8)})
    got = df.select(pattern_ok(pattern)(pl.col("v"))).to_series()
    want = df.select(pl.col("v").str.contains(f"^{pattern}$")).to_series()
    assert want.sum() > 1000 and (~want).sum() > 1000
    assert got.eq_missing(want).all(), df.filter(~got.eq_missing(want)).head(5)


def test_enum_checks_agree_with_is_in_null_included():
    values = ["I", "E"]
    df = pl.DataFrame({"v": ["I", "E", "i", "", " I", None, "IE"]})
    got = df.select(enum_ok(values)(pl.col("v"))).to_series()
    assert got.eq_missing(df.select(pl.col("v").is_in(values)).to_series()).all()


@pytest.mark.parametrize(
    ("how", "messy"),
    [
        ("fast", ["Entry", "", " MANIFEST "]),  # what the fast read takes: no bad value
        ("fast", ["telegram", "", " MANIFEST "]),  # a bad value: the fast read falls back
        ("robust", ["telegram", "", " MANIFEST "]),
        ("parquet", ["telegram", "", " MANIFEST "]),
    ],
)
def test_columns_the_reading_guarantees_pass_the_whole_contract(
    tmp_path: Path, how: str, messy: list[str]
):
    """validate_table skips guaranteed_columns at ingestion: whatever a file holds there, every
    way of reading it leaves values the full contract accepts."""
    con = duckdb.connect()
    kind = KINDS["declarations"]
    assert guaranteed_columns(kind) == {"doc_kind"}
    assert guaranteed_columns(KINDS["cases"]) == {"intentional"}
    rows = [list(r) for r in DECLARATIONS]
    for i, value in enumerate(messy, start=1):
        rows[i][rows[0].index("doc_kind")] = value
    path = write_csv(tmp_path / "declarations.csv", rows)
    if how == "parquet":
        path = tmp_path / "declarations.parquet"
        pl.read_csv(write_csv(tmp_path / "d.csv", rows), infer_schema=False).write_parquet(path)
    loaded = load_batch(con, kind, path, tmp_path, fast=how == "fast")
    clean = "telegram" not in messy
    assert loaded.path_taken == ("fast" if how == "fast" and clean else "robust")
    found = validate_table(con, kind.name, loaded.table)
    assert [f for f in found if f.column in guaranteed_columns(kind)] == []
    assert con.sql(f"SELECT doc_kind FROM {loaded.table} ORDER BY source_row").fetchall() == [
        ("entry",),
        ("entry",),
        ("manifest",),
    ]


def test_validation_without_skipped_columns_still_checks_what_row_rules_read():
    con = duckdb.connect()
    con.execute(
        "CREATE TABLE t AS SELECT '220120241000000001' AS entry_id, '1100000001' AS "
        "consignee_code, '1100000001' AS declarant_code, DATE '2024-03-01' AS declare_date, "
        "'E' AS ie_flag, '2201' AS customs_district, '0110' AS trade_mode, 'nope' AS doc_kind, "
        "1.00::DECIMAL(18,2) AS value_cny, 'released' AS status, 1::BIGINT AS source_row"
    )
    found = validate_table(con, "declarations", "t", skip={"doc_kind", "ie_flag"})
    # doc_kind is not looked at; ie_flag is, because the ie_flag rule reads it
    assert [(f.rule, f.column, f.row) for f in found] == [("ie_flag_mismatch", "ie_flag", 1)]


@pytest.mark.parametrize("workers", [1, 2])
def test_columns_validated_by_value_report_what_the_rows_would(workers: int):
    """Codes, enums and dates are validated over their distinct values (first row, row count);
    the findings must equal those of validating every row as one frame."""
    con = duckdb.connect()
    con.execute(
        "CREATE TABLE t AS SELECT "
        "printf('2201202410%08d', i) AS entry_id, "
        "CASE WHEN i % 7 = 3 THEN 'bad-code' WHEN i % 11 = 5 THEN NULL "
        "     ELSE printf('11000000%02d', i % 13) END AS consignee_code, "
        "CASE WHEN i % 17 = 2 THEN 'x' ELSE '1100000001' END AS declarant_code, "
        "CASE WHEN i % 19 = 4 THEN NULL ELSE DATE '2024-01-01' + (i % 40)::INTEGER END "
        "     AS declare_date, "
        "CASE WHEN i % 2 = 0 THEN 'I' ELSE 'E' END AS ie_flag, "
        "CASE WHEN i % 23 = 1 THEN '22O1' ELSE '2201' END AS customs_district, "
        "'0110' AS trade_mode, 'entry' AS doc_kind, "
        "CASE WHEN i % 29 = 6 THEN -1.00 ELSE 10.00 END::DECIMAL(18,2) AS value_cny, "
        "CASE WHEN i % 31 = 7 THEN 'lost' ELSE 'released' END AS status, "
        "(i + 1)::BIGINT AS source_row FROM range(500) r(i)"
    )
    by_value = validate_table(con, "declarations", "t", chunk_rows=64, workers=workers)
    whole = pl.from_arrow(con.sql("SELECT * FROM t").to_arrow_table())
    by_row = validate_frame("declarations", whole)

    def key(findings):
        return sorted((f.rule, f.column, f.row, f.count, f.value) for f in findings)

    assert key(by_value) == key(by_row)
    found = {(f.rule, f.column): f for f in by_value}
    assert {"consignee_code", "declarant_code", "declare_date", "status"} <= {c for _, c in found}
    bad_code = found[("pattern", "consignee_code")]
    assert (bad_code.row, bad_code.value, bad_code.count) == (4, "bad-code", 71)
    assert found[("required", "declare_date")].count == 27
