"""Measure the declarations quality gate on a generated batch (1M, 10M rows...).

    python -m expectations.gx_bench --rows 1000000 10000000 [--dir /tmp] [--repeat 2] [--attached]

Prints, per size: seconds to generate, the GX validation (first call includes the GX import and
context), and the same checks as plain SQL on the same connection, so GX's own overhead shows.
"""

from __future__ import annotations

import argparse
import datetime
import tempfile
import time
from pathlib import Path

import duckdb

LOAD_DATE = datetime.date(2026, 11, 27)


def make_declarations(con: duckdb.DuckDBPyConnection, table: str, rows: int) -> None:
    """A clean declarations batch of `rows` rows with realistic cardinalities, committed."""
    con.execute(
        f"""
        CREATE OR REPLACE TABLE {table} AS
        SELECT
            lpad((1000 + range % 9000)::VARCHAR, 4, '0') || '2026' || (range % 2)::VARCHAR
                || lpad(range::VARCHAR, 9, '0') AS entry_id,
            'C' || lpad((range % 50000)::VARCHAR, 9, '0') AS consignee_code,
            'B' || lpad((range % 3000)::VARCHAR, 9, '0') AS declarant_code,
            DATE '2025-01-01' + (range % 600)::INTEGER AS declare_date,
            CASE WHEN range % 2 = 1 THEN 'I' ELSE 'E' END AS ie_flag,
            lpad((range % 700)::VARCHAR, 4, '0') AS customs_district,
            (['0110', '0615', '1210', '9610'])[1 + range % 4] AS trade_mode,
            (['entry', 'filing_list', 'manifest'])[1 + range % 3] AS doc_kind,
            ((range % 100000) * 1.25)::DECIMAL(18, 2) AS value_cny,
            (['accepted', 'released', 'cancelled'])[1 + range % 3] AS status,
            (range + 1)::BIGINT AS source_row,
            'bench' AS batch_id
        FROM range({int(rows)})
        """
    )


def _plain_sql_seconds(con: duckdb.DuckDBPyConnection, table: str) -> float:
    """The suite's queries run directly, without GX: the floor GX's overhead is measured from."""
    from expectations.suites import build_suite

    started = time.perf_counter()
    for check in build_suite("declarations", LOAD_DATE).checks:
        if check.whole_batch:
            con.sql(f"SELECT count(*) FROM {table}").fetchall()
        else:
            query = check.unexpected_rows_query().format(batch=table)
            con.sql(query).fetchall()
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--dir", type=Path, default=None, help="where the DuckDB file goes")
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument(
        "--attached",
        action="store_true",
        help="put the batch in an attached in-memory database, as ingestion does",
    )
    args = parser.parse_args(argv)

    from expectations.gx_validate import validate_batch

    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        con = duckdb.connect(
            str(Path(tmp) / "bench.duckdb"), config={"preserve_insertion_order": False}
        )
        table = "bench_declarations"
        if args.attached:
            con.execute("ATTACH ':memory:' AS batch")
            table = "batch.declarations"
        for rows in args.rows:
            t0 = time.perf_counter()
            make_declarations(con, table, rows)
            print(f"{rows:>11,d} rows: generated in {time.perf_counter() - t0:.2f} s")
            for i in range(args.repeat):
                t0 = time.perf_counter()
                findings = validate_batch(con, "declarations", table, load_date=LOAD_DATE)
                failed = [f.expectation for f in findings if not f.success]
                print(
                    f"  GX run {i + 1}: {time.perf_counter() - t0:.2f} s, "
                    f"{len(findings)} expectations, failed: {failed or 'none'}"
                )
            print(f"  plain SQL, same checks: {_plain_sql_seconds(con, table):.2f} s")
        con.close()


if __name__ == "__main__":
    main()
