"""The worked examples of credit-rules.md, end to end through the SQL engine."""

from __future__ import annotations

import datetime as dt

import pytest

D = dt.date.fromisoformat


def test_example_1_importer_beyond_per_mille_and_amount(world):
    code = world.enterprise("4200000001")
    world.declarations(code, 2024, 2000)
    world.case(code, "2025-02-10", 400_000)
    world.case(code, "2025-04-01", 300_000)
    world.case(code, "2025-06-15", 350_000)

    snap = world.snapshot(code, "2025-09-30")
    assert snap["rulebook"] == "CN-251"
    assert snap["assessed_level"] == "dishonest" and snap["dishonest"] is True
    assert snap["blockers"] == ["A1", "A6"]
    assert snap["warnings"] == ["W1"]
    assert snap["earliest_application_date"] == D("2029-02-09")
    assert snap["provisional"] is False

    d3 = world.rule(code, "D3")
    assert d3["status"] == "fail"
    assert d3["last_breach_date"] == D("2026-02-09")  # projected: first fine leaves 2026-02-10
    assert d3["expiry_date"] == D("2028-02-09")  # repair L + 2 years
    a1 = world.rule(code, "A1")
    assert (a1["status"], a1["expiry_date"]) == ("fail", D("2029-02-09"))
    a6 = world.rule(code, "A6")
    assert (a6["status"], a6["expiry_date"]) == ("fail", D("2026-06-15"))
    assert world.rule(code, "W1")["status"] == "warn"
    ind = world.indicators(code, "2025-09-30")
    assert (ind["docs_py"], ind["counted_penalties"]) == (2000, 3)
    assert float(ind["counted_fines_cny"]) == 1_050_000
    assert ind["dishonest_count_limit"] == pytest.approx(2.0)


def test_example_2_broker_unpaid_fine(world):
    code = world.enterprise("4200000002", "customs_broker")
    world.liability(code, "fine", 15_000, "2025-01-31")

    snap = world.snapshot(code, "2025-08-01")
    assert snap["assessed_level"] == "dishonest"
    assert snap["blockers"] == ["A1", "A4"]
    assert snap["earliest_application_date"] is None
    d6 = world.rule(code, "D6")
    assert d6["status"] == "fail" and d6["expiry_date"] is None
    assert world.rule(code, "A1")["expiry_date"] is None
    # one day earlier, 2025-07-31 is not yet beyond due + 6 months
    assert world.rule(code, "D6", "2025-07-31")["status"] == "pass"


def test_example_3_self_assessment_score_under_cn_282(world):
    code = world.enterprise("4200000003", good_assessment=False)
    for item, module, result in [
        ("IC-1", "internal_control", "basically_meets"),
        ("IC-2", "internal_control", "basically_meets"),
        ("FS-1", "financial", "fails"),
        ("AD-1", "additional", "meets"),
        ("AD-2", "additional", "meets"),
    ]:
        world.assessment(code, item, module, result, "2026-05-01")

    snap = world.snapshot(code, "2026-06-30")
    assert snap["rulebook"] == "CN-282" and snap["provisional"] is True
    assert float(snap["score"]) == 98.0
    assert snap["blockers"] == ["A7"]
    assert snap["warnings"] == ["W5"]
    assert snap["assessed_level"] == "regular"
    assert snap["earliest_application_date"] is None
