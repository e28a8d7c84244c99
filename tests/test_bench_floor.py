"""The evaluate bench's floor (bench/evaluate_bench.py) computes what issue 3 names: previous-year
documents per enterprise, the engine's `docs_py`, from scratch in one pass over declarations."""

from __future__ import annotations

import json

from bench.evaluate_bench import AS_OF, build_staging, floor_sql, proxy_floor_sql
from transforms.engine import evaluate


def test_floor_counts_the_engines_previous_year_documents(warehouse) -> None:
    build_staging(warehouse, enterprises=50, declarations=20_000)
    evaluate(warehouse, AS_OF)
    engine_docs = dict(
        warehouse.execute(
            "SELECT customs_code, docs_py FROM marts.enterprise_indicators "
            "WHERE as_of = ? AND docs_py > 0",
            [AS_OF],
        ).fetchall()
    )
    floor_docs = dict(warehouse.execute(floor_sql(AS_OF.year - 1)).fetchall())
    assert len(engine_docs) == 50  # every enterprise, brokers by the declarations they declared
    assert floor_docs == engine_docs
    brokers = warehouse.execute(
        "SELECT list(customs_code) FROM staging.enterprises "
        "WHERE enterprise_type = 'customs_broker'"
    ).fetchall()[0][0]
    # the proxy counts by consignee only: brokers, never consignees here, are missing from it
    proxy = dict(warehouse.execute(proxy_floor_sql(AS_OF.year - 1)).fetchall())
    assert brokers and not set(brokers) & set(proxy)
    assert all(floor_docs[b] > 0 for b in brokers)


def _scanned_tables(node: dict) -> list[str]:
    own = [node["extra_info"]["Table"]] if node.get("name") == "SEQ_SCAN" else []
    return own + [t for child in node.get("children", []) for t in _scanned_tables(child)]


def test_floor_is_a_single_pass_over_declarations(warehouse) -> None:
    build_staging(warehouse, enterprises=10, declarations=1000)  # empty tables plan no scan
    plan = json.loads(
        warehouse.execute("EXPLAIN (FORMAT json) " + floor_sql(2024)).fetchall()[0][1]
    )
    tables = [t.split(".", 1)[1] for root in plan for t in _scanned_tables(root)]
    assert sorted(tables) == [
        "staging.declarations",
        "staging.enterprises",
        "staging.enterprises",
    ]
