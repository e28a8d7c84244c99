"""D1-D8 and the counted-penalty definition: passing and failing fixtures at their boundaries."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.rules_world import World

D = dt.date.fromisoformat
IE, BROKER = "importer_exporter", "customs_broker"


def status(world: World, code: str, rule: str, as_of: str) -> str:
    return world.rule(code, rule, as_of)["status"]


# --- counted penalties -----------------------------------------------------------------------
def _counted(world: World, code: str, as_of: str) -> int:
    world.evaluate(as_of)
    return world.indicators(code, as_of)["counted_penalties"]


@pytest.mark.parametrize(
    ("decided", "as_of", "counted"),
    [
        ("2024-09-30", "2025-09-30", 0),  # exactly T - 1 year: outside W1 (T - 1y < d)
        ("2024-10-01", "2025-09-30", 1),  # first day inside
        ("2025-09-30", "2025-09-30", 1),  # T itself
        ("2025-10-01", "2025-09-30", 0),  # after T
        ("2024-02-29", "2025-02-28", 1),  # 29 Feb minus a year is 28 Feb: still inside
        ("2024-02-29", "2025-03-01", 0),  # ... and it leaves on 1 March
    ],
)
def test_w1_window_edges(world, decided, as_of, counted):
    code = world.enterprise("4200000101")
    world.case(code, decided, 10)
    assert _counted(world, code, as_of) == counted


@pytest.mark.parametrize(
    ("decided", "fine", "penalty", "counted"),
    [
        ("2025-06-01", 500_000, "fine", 0),  # cap 500,000 before 2025-10-11: at most -> excluded
        ("2025-06-01", 500_000.01, "fine", 1),
        ("2025-10-10", 600_000, "fine", 1),  # the day before the new cap
        ("2025-10-11", 1_000_000, "fine", 0),  # from 2025-10-11 the cap is 1,000,000
        ("2025-10-11", 1_000_000.01, "fine", 1),
        ("2025-06-01", None, "warning", 0),  # a disclosed warning never counts
        ("2025-06-01", None, "confiscation", 0),  # empty fine counts as 0, within the cap
    ],
)
def test_voluntary_disclosure_cap(world, decided, fine, penalty, counted):
    code = world.enterprise("4200000102")
    world.case(code, decided, fine, penalty=penalty, vd=True)
    assert _counted(world, code, "2026-03-31") == counted


@pytest.mark.parametrize(
    ("etype", "decided", "intentional", "counted"),
    [
        (IE, "2023-11-30", "no", 1),
        (IE, "2023-12-01", "no", 0),
        (IE, "2025-12-31", "no", 0),
        (IE, "2026-01-01", "no", 1),
        (IE, "2025-06-01", "unknown", 1),
        (IE, "2025-06-01", "yes", 1),
        (BROKER, "2025-06-01", "no", 1),  # never for brokers
    ],
)
def test_non_intentional_exclusion(world, etype, decided, intentional, counted):
    code = world.enterprise("4200000103", etype)
    world.case(code, decided, 100, intentional=intentional)
    as_of = (D(decided) + dt.timedelta(days=30)).isoformat()
    assert _counted(world, code, as_of) == counted


@pytest.mark.parametrize(
    ("case_type", "status_", "penalty", "counted"),
    [
        ("supervision_violation", "decided", "fine", 1),
        ("tax_violation", "closed", "warning", 1),
        ("tax_violation", "decided", "confiscation", 1),
        ("supervision_violation", "revoked", "fine", 0),
        ("supervision_violation", "decided", "none", 0),
        ("smuggling_act", "decided", "fine", 0),
    ],
)
def test_counted_penalty_kinds(world, case_type, status_, penalty, counted):
    code = world.enterprise("4200000104")
    world.case(code, "2025-06-01", 100, case_type=case_type, status=status_, penalty=penalty)
    assert _counted(world, code, "2025-09-30") == counted


# --- D3 / D4 ---------------------------------------------------------------------------------
def _three_fines(world: World, code: str, total: float) -> None:
    for day in ("2025-02-10", "2025-04-01", "2025-06-15"):
        world.case(code, day, total / 3)


@pytest.mark.parametrize(
    ("docs", "total", "expected"),
    [
        (2000, 1_050_000, "fail"),  # n = 3 > 2, F > 1,000,000
        (3000, 1_050_000, "pass"),  # n = 3 is not > 3 (exactly at the ratio)
        (2000, 1_000_000, "pass"),  # F exactly 1,000,000 is not above it
        (0, 1_050_000, "fail"),  # no documents: amount alone
        (0, 1_000_000, "pass"),
    ],
)
def test_d3_thresholds(world, docs, total, expected):
    code = world.enterprise("4200000201")
    if docs:
        world.declarations(code, 2024, docs)
    _three_fines(world, code, total)
    assert status(world, code, "D3", "2025-09-30") == expected
    assert status(world, code, "D4", "2025-09-30") == "n_a"


@pytest.mark.parametrize(
    ("docs", "total", "expected"),
    [
        (4000, 300_000.03, "fail"),  # n = 3 > 0.0005 x 4000 = 2, F > 300,000
        (6000, 300_000.03, "pass"),  # n = 3 is not > 3
        (4000, 300_000, "pass"),
        (0, 300_000.03, "fail"),
    ],
)
def test_d4_broker_thresholds(world, docs, total, expected):
    broker = world.enterprise("4200000202", BROKER)
    client = world.enterprise("4200000203")
    if docs:
        world.declarations(client, 2024, docs, broker=broker)
    _three_fines(world, broker, total)
    assert status(world, broker, "D4", "2025-09-30") == expected
    assert status(world, broker, "D3", "2025-09-30") == "n_a"


def test_broker_and_importer_count_documents_by_their_role(world):
    broker = world.enterprise("4200000204", BROKER)
    client = world.enterprise("4200000205")
    world.declarations(client, 2024, 1000, broker=broker)
    world.evaluate("2025-06-30")
    assert world.indicators(broker, "2025-06-30")["docs_py"] == 1000
    assert world.indicators(client, "2025-06-30")["docs_py"] == 1000
    other = world.enterprise("4200000206")
    world.declarations(other, 2024, 10)  # self-declared
    world.evaluate("2025-06-30")
    assert world.indicators(broker, "2025-06-30")["docs_py"] == 1000


def test_d3_previous_year_without_documents(world):
    code = world.enterprise("4200000207")
    world.declarations(code, 2023, 5000)  # documents two years back do not count for T in 2025
    world.case(code, "2025-03-01", 600_000)
    world.case(code, "2025-03-02", 600_000)
    world.evaluate("2025-06-30")
    assert world.indicators(code, "2025-06-30")["docs_py"] == 0
    assert status(world, code, "D3", "2025-06-30") == "fail"


def test_d3_breach_ended_within_two_year_lookback_is_still_active(world):
    code = world.enterprise("4200000208")
    world.declarations(code, 2023, 1000)
    world.declarations(code, 2024, 1000)
    world.case(code, "2024-03-01", 600_000)
    world.case(code, "2024-04-01", 600_000)
    # held from 2024-04-01 until the first fine left on 2025-03-01 -> L = 2025-02-28
    d3 = world.rule(code, "D3", "2025-09-30")
    assert d3["status"] == "fail"
    assert d3["last_breach_date"] == D("2025-02-28")
    assert d3["expiry_date"] == D("2027-02-28")
    # no longer exceeding at T: the text says when it last held, not that it exceeds now
    assert d3["explanation_en"] == (
        "Dishonest: penalties beyond n > 1 and F > 1,000,000 CNY last held on 2025-02-28 "
        "(now n=0, F=0 CNY, docs=1000); credit repair on 2027-02-28 if nothing new happens."
    )
    snap = world.snapshot(code, "2025-09-30")
    assert snap["assessed_level"] == "dishonest"
    # two years after L it is repaired: D3 passes but A1 still bars for one more year
    d3 = world.rule(code, "D3", "2027-02-28")
    assert d3["status"] == "pass" and d3["last_breach_date"] == D("2025-02-28")
    snap = world.snapshot(code, "2027-02-28")
    assert snap["assessed_level"] == "regular"
    assert snap["blockers"] == ["A1"]
    assert snap["earliest_application_date"] == D("2028-02-28")
    assert world.snapshot(code, "2028-02-28")["blockers"] == []


def test_d3_stops_on_first_january_when_documents_grow(world):
    code = world.enterprise("4200000209")
    world.declarations(code, 2024, 1000)
    world.declarations(code, 2025, 100_000)  # PY(2026) docs make n = 2 far below the ratio
    world.case(code, "2025-11-01", 600_000)
    world.case(code, "2025-12-01", 600_000)
    d3 = world.rule(code, "D3", "2026-03-31")
    assert d3["status"] == "fail"
    assert d3["last_breach_date"] == D("2025-12-31")
    assert "last held on 2025-12-31" in d3["explanation_en"]
    assert "最后成立于2025-12-31" in d3["explanation_zh"]


def test_d3_projection_uses_docs_at_t_and_penalties_up_to_t(world):
    code = world.enterprise("4200000210")
    world.declarations(code, 2024, 1000)
    world.case(code, "2025-01-10", 400_000)
    world.case(code, "2025-02-10", 400_000)
    world.case(code, "2025-03-10", 400_000)
    world.case(code, "2025-12-01", 400_000)  # after T: ignored by the projection
    d3 = world.rule(code, "D3", "2025-06-30")
    # leaving: 2026-01-10 -> n=2 > 1 but F = 800,000 -> stops holding
    assert d3["last_breach_date"] == D("2026-01-09")


# --- D1, D2, D7, D8 (events) -----------------------------------------------------------------
@pytest.mark.parametrize(
    ("kw", "rule"),
    [
        ({"case_type": "smuggling_crime", "judgment": "2024-05-01", "penalty": "fine"}, "D1"),
        ({"case_type": "smuggling_act", "penalty": "confiscation"}, "D2"),
        ({"case_type": "obstruction", "penalty": "warning"}, "D7"),
        ({"case_type": "bribery", "penalty": "none"}, "D7"),
        ({"case_type": "serious_safety_crime", "judgment": "2024-05-01", "penalty": "fine"}, "D8"),
    ],
)
def test_event_rules_active_for_two_years_then_bar_a_third(world, kw, rule):
    code = world.enterprise("4200000301")
    world.case(code, "2024-05-01", 1000, **kw)
    assert status(world, code, rule, "2026-04-30") == "fail"  # L in W2(T)
    assert world.rule(code, rule, "2026-04-30")["expiry_date"] == D("2026-05-01")
    assert status(world, code, rule, "2026-05-01") == "pass"  # repaired L + 2 years
    snap = world.snapshot(code, "2026-05-01")
    assert snap["blockers"] == ["A1"] and snap["earliest_application_date"] == D("2027-05-01")
    assert world.snapshot(code, "2027-05-01")["blockers"] == []


def test_event_rules_ignore_revoked_and_penalty_free_smuggling_acts(world):
    code = world.enterprise("4200000302")
    world.case(code, "2025-05-01", 100, case_type="smuggling_act", penalty="none")
    world.case(code, "2025-05-01", 100, case_type="smuggling_act", status="revoked")
    world.case(
        code,
        "2025-05-01",
        None,
        case_type="smuggling_crime",
        judgment="2025-05-01",
        status="revoked",
    )
    snap = world.snapshot(code, "2025-09-30")
    assert snap["assessed_level"] == "regular" and snap["blockers"] == []


@pytest.mark.parametrize(("fine", "expected"), [(2_500_000, "pass"), (2_500_000.01, "fail")])
def test_d8_solid_waste_fine_threshold(world, fine, expected):
    code = world.enterprise("4200000303")
    world.case(code, "2025-05-01", fine, case_type="solid_waste_import")
    assert status(world, code, "D8", "2025-09-30") == expected
    level = world.snapshot(code, "2025-09-30")["assessed_level"]
    assert level == ("seriously_dishonest" if expected == "fail" else "regular")


def test_d8_outranks_other_dishonest_rules(world):
    code = world.enterprise("4200000304", level="advanced", level_since="2022-01-01")
    world.case(code, "2025-05-01", 100, case_type="smuggling_act")
    world.case(code, "2025-05-02", 3_000_000, case_type="solid_waste_import")
    snap = world.snapshot(code, "2025-09-30")
    assert snap["assessed_level"] == "seriously_dishonest" and snap["dishonest"] is True


# --- D5, D6 (arrears) ------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("as_of", "expected"),
    [("2025-04-30", "pass"), ("2025-05-01", "fail")],  # due 2025-01-31 + 3 months = 2025-04-30
)
def test_d5_tax_unpaid_beyond_three_months(world, as_of, expected):
    code = world.enterprise("4200000401")
    world.liability(code, "vat", 100, "2025-01-31")
    assert status(world, code, "D5", as_of) == expected


def test_d5_paid_late_is_repaired_two_years_after_payment(world):
    code = world.enterprise("4200000402")
    world.liability(code, "duty", 100, "2024-01-15", paid="2024-06-01")
    d5 = world.rule(code, "D5", "2025-06-30")
    assert d5["status"] == "fail"
    assert d5["last_breach_date"] == D("2024-05-31")
    assert d5["expiry_date"] == D("2026-05-31")
    snap = world.snapshot(code, "2025-06-30")
    assert snap["blockers"] == ["A1"]
    assert snap["earliest_application_date"] == D("2027-05-31")
    assert status(world, code, "D5", "2026-05-31") == "pass"


def test_late_fee_is_not_a_d5_tax(world):
    code = world.enterprise("4200000403")
    world.liability(code, "late_fee", 100, "2025-01-31")
    assert status(world, code, "D5", "2025-09-30") == "pass"
    assert world.snapshot(code, "2025-09-30")["blockers"] == ["A4"]


@pytest.mark.parametrize(
    ("amounts", "expected"),
    [((10_000,), "pass"), ((10_000.01,), "fail"), ((6_000, 5_000), "fail"), ((6_000,), "pass")],
)
def test_d6_unpaid_fines_sum(world, amounts, expected):
    code = world.enterprise("4200000404")
    for amount in amounts:
        world.liability(code, "confiscation", amount, "2025-01-31")
    assert status(world, code, "D6", "2025-08-01") == expected


def test_d6_counts_only_fines_unpaid_beyond_six_months_on_the_same_day(world):
    code = world.enterprise("4200000405")
    world.liability(code, "fine", 6_000, "2025-01-31")
    world.liability(code, "fine", 6_000, "2025-03-31")  # overdue only from 2025-10-01
    assert status(world, code, "D6", "2025-09-30") == "pass"
    assert status(world, code, "D6", "2025-10-01") == "fail"


def test_d6_paid_in_time_then_repaired(world):
    code = world.enterprise("4200000406")
    world.liability(code, "fine", 20_000, "2023-01-31", paid="2023-09-01")
    d6 = world.rule(code, "D6", "2024-06-30")
    assert d6["status"] == "fail" and d6["last_breach_date"] == D("2023-08-31")
    assert d6["expiry_date"] == D("2025-08-31")
    a1 = world.rule(code, "A1", "2024-06-30")
    assert a1["expiry_date"] == D("2026-08-31")
