"""A1-A7: advanced-certification blockers, their expiries and the earliest application date."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

D = dt.date.fromisoformat


def test_clean_enterprise_is_ready_today(world):
    code = world.enterprise("4200000501")
    snap = world.snapshot(code, "2025-09-30")
    assert snap["advanced_ready"] is True and snap["blockers"] == []
    assert snap["earliest_application_date"] == D("2025-09-30")
    assert float(snap["score"]) == 100.0


def test_a1_recorded_dishonest_has_no_expiry(world):
    code = world.enterprise("4200000502", level="dishonest")
    snap = world.snapshot(code, "2025-09-30")
    assert snap["assessed_level"] == "regular"  # no active D rule
    assert snap["blockers"] == ["A1"] and snap["earliest_application_date"] is None


@pytest.mark.parametrize(
    ("event_day", "as_of", "expected", "expiry"),
    [
        ("2024-09-30", "2025-09-30", "pass", None),  # exactly a year ago: out of W1
        ("2024-10-01", "2025-09-30", "fail", "2025-10-01"),
        ("2024-02-29", "2025-02-28", "fail", "2025-03-01"),
    ],
)
def test_a2_one_year_bar(world, event_day, as_of, expected, expiry):
    code = world.enterprise("4200000503")
    world.event(code, "certification_failed", event_day)
    world.event(code, "applied", "2025-09-01")  # not a barring event
    a2 = world.rule(code, "A2", as_of)
    assert a2["status"] == expected
    assert a2["expiry_date"] == (D(expiry) if expiry else None)


@pytest.mark.parametrize(
    ("decided", "closed", "revoked", "expected"),
    [
        (None, None, False, "fail"),  # investigating
        ("2025-09-30", None, False, "pass"),  # decided on T: no longer open
        ("2025-10-15", None, False, "fail"),  # decided after T: open at T
        (None, "2025-09-01", False, "pass"),
        (None, None, True, "pass"),
    ],
)
def test_a3_open_case(world, decided, closed, revoked, expected):
    code = world.enterprise("4200000504")
    world.case(
        code,
        decided,
        None,
        status="revoked" if revoked else "investigating",
        penalty="none",
        opened="2025-08-01",
        closed=closed,
    )
    a3 = world.rule(code, "A3", "2025-09-30")
    assert a3["status"] == expected
    assert a3["expiry_date"] is None
    snap = world.snapshot(code, "2025-09-30")
    assert (snap["earliest_application_date"] is None) == (expected == "fail")


def test_a3_case_opened_after_t_is_not_open(world):
    code = world.enterprise("4200000505")
    world.case(code, None, None, status="investigating", penalty="none", opened="2025-10-01")
    assert world.rule(code, "A3", "2025-09-30")["status"] == "pass"


@pytest.mark.parametrize(
    ("due", "paid", "expected"),
    [
        ("2025-09-30", None, "pass"),  # due today: not yet arrears
        ("2025-09-29", None, "fail"),
        ("2025-09-29", "2025-09-30", "pass"),  # paid on T
        ("2025-09-29", "2025-10-01", "fail"),  # paid after T: unpaid at T
    ],
)
def test_a4_arrears(world, due, paid, expected):
    code = world.enterprise("4200000506")
    world.liability(code, "late_fee", 50, due, paid)
    assert world.rule(code, "A4", "2025-09-30")["status"] == expected


@pytest.mark.parametrize(
    ("ratios", "expected"),
    [
        ({2022: 0.96, 2023: 0.97, 2024: 0.99}, "fail"),
        ({2022: 0.96, 2023: 0.95, 2024: 0.99}, "pass"),  # 0.95 is not above
        ({2023: 0.97, 2024: 0.99}, "pass"),  # a year missing
        ({2021: 0.99, 2023: 0.97, 2024: 0.99}, "pass"),  # 2021 is outside the 3 years
    ],
)
def test_a5_leverage(world, ratios, expected):
    code = world.enterprise("4200000507")
    for year, ratio in ratios.items():
        world.financials(code, year, 1_000_000, 1_000_000 * ratio)
    assert world.rule(code, "A5", "2025-09-30")["status"] == expected


@pytest.mark.parametrize(
    ("liabilities", "expected"),
    [
        (Decimal("950000000000000.01"), "fail"),  # 0.95000000000000001: a DOUBLE says 0.95
        (Decimal("950000000000000.00"), "pass"),  # exactly 0.95 is not above
    ],
)
def test_a5_leverage_is_compared_exactly_at_large_amounts(world, liabilities, expected):
    code = world.enterprise("4200000508")
    for year in (2022, 2023, 2024):
        world.financials(code, year, Decimal("1000000000000000.00"), liabilities)
    assert world.rule(code, "A5", "2025-09-30")["status"] == expected


@pytest.mark.parametrize(
    ("fines", "expected"),
    [
        ([30_000], "pass"),  # single fine at the limit
        ([30_000.01], "fail"),
        ([20_000, 20_000, 10_000], "pass"),  # F = 50,000 at the limit
        ([20_000, 20_000, 10_000.01], "fail"),
        ([100] * 5, "pass"),  # n = 5 is not above 5
        ([100] * 6, "fail"),  # n = 6 > 5 and > 0.001 x 1000
    ],
)
def test_a6_importer_limits(world, fines, expected):
    code = world.enterprise("4200000508")
    world.declarations(code, 2024, 1000)
    for i, fine in enumerate(fines):
        world.case(code, f"2025-0{i % 9 + 1}-01", fine)
    assert world.rule(code, "A6", "2025-09-30")["status"] == expected


def test_a6_importer_many_penalties_within_ratio(world):
    code = world.enterprise("4200000509")
    world.declarations(code, 2024, 10_000)  # 0.001 x 10,000 = 10
    for i in range(8):
        world.case(code, f"2025-0{i + 1}-01", 100)
    assert world.rule(code, "A6", "2025-09-30")["status"] == "pass"


@pytest.mark.parametrize(
    ("fines", "expected"),
    [([10_000], "pass"), ([10_000.01], "fail"), ([5_000, 5_000], "fail"), ([5_000], "pass")],
)
def test_a6_broker_limits(world, fines, expected):
    broker = world.enterprise("4200000510", "customs_broker")
    client = world.enterprise("4200000511")
    world.declarations(client, 2024, 10_000, broker=broker)  # 0.0001 x 10,000 = 1
    for i, fine in enumerate(fines):
        world.case(broker, f"2025-0{i + 1}-01", fine)
    assert world.rule(broker, "A6", "2025-09-30")["status"] == expected


def test_a6_expiry_as_penalties_leave_the_window(world):
    code = world.enterprise("4200000512")
    world.declarations(code, 2024, 1000)
    world.case(code, "2025-02-10", 40_000)
    world.case(code, "2025-04-01", 20_000)
    a6 = world.rule(code, "A6", "2025-09-30")
    # F = 60,000 > 50,000 until the first fine leaves on 2026-02-10 (F = 20,000)
    assert (a6["status"], a6["expiry_date"]) == ("fail", D("2026-02-10"))
    snap = world.snapshot(code, "2025-09-30")
    assert snap["blockers"] == ["A6"] and snap["earliest_application_date"] == D("2026-02-10")
    assert world.rule(code, "A6", "2026-02-10")["status"] == "pass"


def test_a6_expiry_waits_for_a_large_single_fine(world):
    code = world.enterprise("4200000513")
    world.case(code, "2025-02-10", 10_000)
    world.case(code, "2025-04-01", 35_000)
    assert world.rule(code, "A6", "2025-09-30")["expiry_date"] == D("2026-04-01")


def _assess(world, code, items, day="2025-05-01"):
    for item, module, result in items:
        world.assessment(code, item, module, result, day)


@pytest.mark.parametrize(
    ("items", "expected", "score"),
    [
        ([("IC-1", "internal_control", "basically_meets")] * 1, "pass", 99),
        (
            [(f"IC-{i}", "internal_control", "basically_meets") for i in range(2)]
            + [(f"TS-{i}", "trade_security", "basically_meets") for i in range(1)],
            "pass",
            97,
        ),
        (
            [(f"IC-{i}", "internal_control", "basically_meets") for i in range(2)]
            + [(f"TS-{i}", "trade_security", "basically_meets") for i in range(2)],
            "fail",  # 4 > 3 in IC + TS
            96,
        ),
        ([("CO-1", "compliance", "fails")], "fail", 98),
        ([("AD-1", "additional", "pending")], "fail", 100),  # pending anywhere fails
        ([("AD-1", "additional", "fails"), ("AD-2", "additional", "meets")], "pass", 102),
        ([(f"FS-{i}", "financial", "basically_meets") for i in range(6)], "fail", 94),
        ([(f"FS-{i}", "financial", "basically_meets") for i in range(5)], "pass", 95),
        ([("IC-9", "internal_control", "not_applicable")], "pass", 100),
    ],
)
def test_a7_self_assessment(world, items, expected, score):
    code = world.enterprise("4200000514", good_assessment=False)
    _assess(world, code, items)
    a7 = world.rule(code, "A7", "2025-09-30")
    assert a7["status"] == expected
    assert float(world.snapshot(code, "2025-09-30")["score"]) == score


def test_a7_latest_assessment_per_item_counts(world):
    code = world.enterprise("4200000515", good_assessment=False)
    world.assessment(code, "IC-1", "internal_control", "fails", "2025-01-01")
    world.assessment(code, "IC-1", "internal_control", "meets", "2025-06-01")
    world.assessment(code, "IC-2", "internal_control", "meets", "2025-10-01")  # after T
    assert world.rule(code, "A7", "2025-05-31")["status"] == "fail"
    assert world.rule(code, "A7", "2025-09-30")["status"] == "pass"


def test_a7_without_assessment_fails_with_empty_score(world):
    code = world.enterprise("4200000516", good_assessment=False)
    world.assessment(code, "IC-1", "internal_control", "meets", "2025-10-01")  # after T
    snap = world.snapshot(code, "2025-09-30")
    assert snap["blockers"] == ["A7"] and snap["score"] is None


def test_earliest_date_is_latest_expiry_when_all_blockers_expire(world):
    code = world.enterprise("4200000517")
    world.event(code, "downgraded", "2025-03-01")
    world.case(code, "2025-05-01", 40_000)  # single fine > 30,000: A6 until 2026-05-01
    snap = world.snapshot(code, "2025-09-30")
    assert snap["blockers"] == ["A2", "A6"]
    assert snap["earliest_application_date"] == D("2026-05-01")


def test_earliest_date_empty_when_a_blocker_has_no_expiry(world):
    code = world.enterprise("4200000518")
    world.event(code, "downgraded", "2025-03-01")
    world.liability(code, "late_fee", 10, "2025-09-01")
    snap = world.snapshot(code, "2025-09-30")
    assert snap["blockers"] == ["A2", "A4"] and snap["earliest_application_date"] is None
