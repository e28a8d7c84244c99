"""Benchmark: publish (Parquet export + serving file + switch) on a synthetic warehouse.

Staging and marts are synthesised in DuckDB with range() (no files, no rule engine): this
measures publish alone, to set beside evaluation time. Run:
    python -m bench.publish_bench [--declarations N] [--enterprises E] [--as-of-dates D]
Default N: $PUBLISH_BENCH_DECLARATIONS or 1,000,000.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

import duckdb

RULES = (
    [f"D{i}" for i in range(1, 9)] + [f"A{i}" for i in range(1, 8)] + [f"W{i}" for i in range(1, 6)]
)


def build(con: duckdb.DuckDBPyConnection, enterprises: int, declarations: int, dates: int) -> None:
    con.execute(f"""
        INSERT INTO staging.enterprises
        SELECT printf('42%08d', i), printf('91%016d', i), '企业' || i,
               CASE WHEN i % 5 = 0 THEN 'customs_broker' ELSE 'importer_exporter' END,
               CASE WHEN i % 50 = 0 THEN 'advanced' ELSE 'regular' END, DATE '2021-06-01',
               'bench', i
        FROM range({enterprises}) t(i)""")
    con.execute(f"""
        INSERT INTO staging.declarations
        SELECT printf('4200%04d%d%09d', 2024 + i % 2, i % 2, i), printf('42%08d', c),
               printf('42%08d', CASE WHEN i % 5 < 3 THEN c ELSE (c // 5) * 5 END),
               DATE '2024-07-01' + CAST(i % 720 AS INTEGER),
               CASE WHEN i % 2 = 1 THEN 'I' ELSE 'E' END,
               '4200', '0110', (['entry', 'entry', 'entry', 'filing_list'])[1 + i % 4],
               CAST(1000 + i % 100000 AS DECIMAL(18, 2)),
               CASE WHEN i % 97 = 0 THEN 'cancelled' ELSE 'released' END, 'bench', i
        FROM (SELECT i, hash(i) % {enterprises} AS c FROM range({declarations}) t(i))""")
    con.execute(f"""
        INSERT INTO staging.declaration_changes
        SELECT 'X' || i, printf('4200%04d%d%09d', 2024 + (i * 20) % 2, (i * 20) % 2, i * 20),
               'modify', 'enterprise', 'R1', DATE '2025-01-01' + CAST(i % 360 AS INTEGER),
               i % 3 = 0, NULL, 'bench', i
        FROM range({declarations // 20}) t(i)""")
    con.execute(f"""
        INSERT INTO staging.cases
        SELECT 'C' || i, printf('42%08d', i % {enterprises}), 'supervision_violation', 'decided',
               DATE '2024-11-01' + CAST(i % 300 AS INTEGER),
               DATE '2024-12-01' + CAST(i % 300 AS INTEGER), NULL, NULL, 'fine',
               CAST(1000 + (i * 7919) % 400000 AS DECIMAL(18, 2)), i % 9 = 0, 'unknown', 'bench', i
        FROM range({enterprises * 3}) t(i)""")
    con.execute(f"""
        INSERT INTO staging.liabilities
        SELECT 'L' || i, printf('42%08d', i % {enterprises}), (['duty', 'vat', 'fine'])[1 + i % 3],
               CAST(500 + (i * 31) % 30000 AS DECIMAL(18, 2)),
               DATE '2025-01-01' + CAST(i % 300 AS INTEGER),
               CASE WHEN i % 6 = 0 THEN NULL ELSE DATE '2025-02-01' + CAST(i % 300 AS INTEGER) END,
               'bench', i
        FROM range({enterprises * 4}) t(i)""")
    con.execute(f"""
        INSERT INTO staging.control_assessments
        SELECT printf('42%08d', i // 12), 'IC-' || (i % 12),
               (['internal_control', 'financial', 'compliance', 'trade_security',
                 'additional'])[1 + i % 5], 'management',
               (['meets', 'meets', 'basically_meets', 'fails'])[1 + (i * 7) % 4],
               DATE '2025-03-01', 'DOC-' || i, 'bench', i
        FROM range({enterprises * 12}) t(i)""")
    con.execute(f"""
        INSERT INTO staging.financials
        SELECT printf('42%08d', i // 3), 2022 + i % 3, 1e7, 4e6, 'bench', i
        FROM range({enterprises * 3}) t(i)""")
    # Marts: `dates` evaluations of every enterprise, 20 rule results each.
    con.execute(f"""
        INSERT INTO marts.eligibility_snapshot
        SELECT printf('42%08d', e), DATE '2026-06-30' - CAST(d AS INTEGER), 'CN-282', 'regular',
               CASE WHEN e % 7 = 0 THEN 'dishonest' ELSE 'regular' END, e % 7 = 0, e % 3 = 0,
               CASE WHEN e % 3 = 0 THEN []::VARCHAR[] ELSE ['A4', 'A7'] END, ['W5'],
               NULL, 97, true, 'bench', ['bench']
        FROM range({enterprises}) a(e), range({dates}) b(d)""")
    # Rule results are rendered from the engine's narrow store (the view marts.rule_results):
    # a failing outcome per blocker, the rest plain passes, with a real rulebook's texts.
    from transforms.explanation_texts import explanation_rows
    from transforms.marts import insert_rows, record_rulebook
    from transforms.rulebook import rulebook_for

    book = rulebook_for(date(2026, 6, 30))
    record_rulebook(con, book)
    con.execute("DELETE FROM marts.explanation_templates")
    insert_rows(con, "marts.explanation_templates", explanation_rows(book.rules))
    con.execute("""
        INSERT INTO marts.rule_outcomes
        SELECT customs_code, as_of, r, 'fail', 'fail', NULL, NULL
        FROM marts.eligibility_snapshot, unnest(blockers) u(r)""")
    columns = [
        d[0] for d in con.execute("SELECT * FROM marts.enterprise_indicators LIMIT 0").description
    ][:27]
    con.execute(f"""
        INSERT INTO marts.enterprise_indicators ({", ".join(columns)})
        SELECT customs_code, as_of, 'importer_exporter', 1000, 1, 1000, 1000, 1, 1000000, 0.001,
               0, 999000, 1000, 10, 0.01, 0, 0, 0, 0, 97, 1, 1, 0, 0, 1, DATE '2025-03-01', 'bench'
        FROM marts.eligibility_snapshot""")
    con.execute(f"""
        INSERT INTO marts.evaluations
        SELECT DATE '2026-06-30' - CAST(d AS INTEGER), '{book.id}', '{book.sha256}', true, 'bench',
               {enterprises}, now(), 1.0
        FROM range({dates}) t(d)""")


def run(declarations: int, enterprises: int, dates: int, keep: bool = False) -> dict[str, Any]:
    from warehouse.connection import connect
    from warehouse.publish import publish
    from warehouse.settings import load_settings

    work = Path(tempfile.mkdtemp(prefix="publish-bench-"))
    try:
        settings = load_settings(work / "credit.duckdb")
        con = connect(settings)
        started = time.perf_counter()
        build(con, enterprises, declarations, dates)
        build_s = time.perf_counter() - started
        first = publish(settings, con=con)  # cold: first read of the tables from disk
        # warm: nothing re-evaluated, so every file by as_of is linked from the first version
        second = publish(settings, con=con)
        con.close()
        return {
            "declarations": declarations,
            "enterprises": enterprises,
            "as_of_dates": dates,
            "rule_results_rows": second.rows["rule_results"],
            "declarations_monthly_rows": second.rows["declarations_monthly"],
            "build_s": round(build_s, 2),
            "publish_s": first.duration_s,
            "publish_warm_s": second.duration_s,
            "parquet_mb": round(second.bytes_written / 1e6, 1),
        }
    finally:
        if keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    default_n = int(os.environ.get("PUBLISH_BENCH_DECLARATIONS", "1000000"))
    p = argparse.ArgumentParser(prog="publish_bench", description=__doc__.splitlines()[0])
    p.add_argument("--declarations", type=int, default=default_n)
    p.add_argument("--enterprises", type=int, default=None, help="default: declarations / 2000")
    p.add_argument("--as-of-dates", type=int, default=5, help="evaluations kept in the marts")
    p.add_argument("--keep", action="store_true", help="keep the temporary warehouse")
    args = p.parse_args(argv if argv is not None else [])
    enterprises = args.enterprises or max(50, args.declarations // 2000)
    result = run(args.declarations, enterprises, args.as_of_dates, args.keep)
    print(
        "publish_bench: {declarations:,} declarations, {enterprises:,} enterprises, "
        "{as_of_dates} as_of dates ({rule_results_rows:,} rule results): "
        "publish {publish_s:.2f} s (again, history unchanged so its files are linked: "
        "{publish_warm_s:.2f} s), "
        "{parquet_mb} MB Parquet; synthesis {build_s:.1f} s".format(**result)
    )
    return result


if __name__ == "__main__":
    main(sys.argv[1:])
