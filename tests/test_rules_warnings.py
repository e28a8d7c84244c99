"""W1-W5 and the assessed level of certified enterprises."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize(
    ("docs", "fines", "expected"),
    [
        (2000, [350_000, 350_000], "warn"),  # n = 2 >= 1.4, F = 700,000 >= 700,000
        (2000, [349_999.99, 350_000], "pass"),
        (3000, [350_000, 350_000], "pass"),  # n = 2 < 2.1
        (0, [700_000], "warn"),  # no documents: amount test only
    ],
)
def test_w1_headroom(world, docs, fines, expected):
    code = world.enterprise("4200000601")
    if docs:
        world.declarations(code, 2024, docs)
    for i, fine in enumerate(fines):
        world.case(code, f"2025-0{i + 1}-01", fine)
    assert world.rule(code, "W1", "2025-09-30")["status"] == expected


def test_w1_amount_just_under_the_limit_prints_its_fen(world):
    # a broker without documents: the amount test alone, 0.7 x 300,000 = 210,000
    code = world.enterprise("4200000608", etype="customs_broker")
    world.case(code, "2025-03-01", 200_000)
    world.case(code, "2025-04-01", 9_999.99)
    w1 = world.rule(code, "W1", "2025-09-30")
    assert (w1["status"], w1["value"]) == ("pass", "n=2, F=209,999.99 CNY, docs=0")
    assert w1["threshold"] == "F >= 210,000 CNY (no documents last year)"


@pytest.mark.parametrize(("errors", "expected"), [(3, "pass"), (4, "warn")])
def test_w2_error_rate(world, errors, expected):
    code = world.enterprise("4200000602")
    world.declarations(code, 2025, 100, day="2025-03-01")  # 100 in W1(T): limit 3%
    world.declarations(code, 2024, 50, day="2024-06-01")  # outside W1: not in the denominator
    first = world.con.sql(
        "SELECT min(entry_id) FROM staging.declarations WHERE declare_date = DATE '2024-06-01'"
    ).fetchall()[0][0]
    for _ in range(errors):
        world.change(first, "2025-04-01")  # an old declaration's change counts when in W1
    world.change(first, "2024-08-01")  # requested outside W1
    world.change(first, "2025-04-02", error=False)
    world.change("999999999999999999", "2025-04-02")  # orphan: left out
    w2 = world.rule(code, "W2", "2025-09-30")
    assert w2["status"] == expected
    assert w2["value"].endswith(f"({errors} of 100)")


def test_w2_without_declarations_passes(world):
    code = world.enterprise("4200000603")
    w2 = world.rule(code, "W2", "2025-09-30")
    assert w2["status"] == "pass"
    assert w2["explanation_en"] == "No declarations in the last year: no error rate to judge."


@pytest.mark.parametrize(
    ("certified", "expected"),
    [("2021-03-28", "warn"), ("2021-03-29", "warn"), ("2021-03-30", "pass")],
)
def test_w3_review_within_180_days(world, certified, expected):
    # T = 2025-09-30; T + 180 days = 2026-03-29; review = certified + 5 years
    code = world.enterprise("4200000604", level="advanced", level_since="2019-01-01")
    world.event(code, "certified", "2020-01-01")
    world.event(code, "review_passed", certified)
    assert world.rule(code, "W3", "2025-09-30")["status"] == expected


@pytest.mark.parametrize(("as_of", "expected"), [("2028-09-01", "pass"), ("2028-09-02", "warn")])
def test_w3_review_of_a_29_february_certification_is_due_on_1_march(world, as_of, expected):
    # 29 Feb 2024 + 5 years as an expiry (credit-rules.md): 1 Mar 2029; T + 180 days is
    # 28 Feb 2029 for T = 1 Sep 2028, 1 Mar 2029 for T = 2 Sep 2028
    code = world.enterprise("4200000607", level="advanced", level_since="2019-01-01")
    world.event(code, "certified", "2024-02-29")
    w3 = world.rule(code, "W3", as_of)
    assert (w3["status"], w3["value"]) == (expected, "review due 2029-03-01")


def test_w3_falls_back_to_level_since_and_is_n_a_for_others(world):
    adv = world.enterprise("4200000605", level="advanced", level_since="2021-01-01")
    reg = world.enterprise("4200000606")
    assert world.rule(adv, "W3", "2025-09-30")["status"] == "warn"  # review 2026-01-01
    assert world.rule(reg, "W3", "2025-09-30")["status"] == "n_a"
    snap = world.snapshot(adv, "2025-09-30")
    assert snap["assessed_level"] == "advanced" and snap["warnings"] == ["W3"]


@pytest.mark.parametrize(
    ("due", "filed", "expected"),
    [
        ("2025-06-30", "2025-06-30", "pass"),  # on time
        ("2025-06-30", "2025-07-01", "warn"),  # late in W1
        ("2024-06-30", "2024-07-01", "pass"),  # late, but due outside W1
        ("2020-06-30", None, "warn"),  # unfiled, however old
        ("2025-09-30", None, "pass"),  # due today: not yet late
        ("2025-09-29", "2025-10-02", "warn"),  # filed after T: unfiled at T
    ],
)
def test_w4_filings(world, due, filed, expected):
    code = world.enterprise("4200000607")
    world.filing(code, due, filed)
    assert world.rule(code, "W4", "2025-09-30")["status"] == expected


def test_w5_and_rulebook_switch_on_2026_04_01(world):
    code = world.enterprise("4200000608")
    before = world.snapshot(code, "2026-03-31")
    after = world.snapshot(code, "2026-04-01")
    assert (before["rulebook"], before["provisional"], before["warnings"]) == ("CN-251", False, [])
    assert (after["rulebook"], after["provisional"], after["warnings"]) == ("CN-282", True, ["W5"])


def test_certified_level_is_kept_when_no_dishonest_rule(world):
    code = world.enterprise("4200000609", level="certified")
    world.liability(code, "late_fee", 10, "2025-09-01")
    snap = world.snapshot(code, "2025-09-30")
    assert snap["assessed_level"] == "certified" and snap["blockers"] == ["A4"]


def test_not_applicable_is_inferred_by_the_view_not_stored(world):
    """D3 (brokers), D4 (importers/exporters) and W3 (below advanced) read n_a in rule_results
    without a stored outcome; where the rule applies, a plain pass reads pass."""
    importer = world.enterprise("4200000611")
    broker = world.enterprise("4200000612", etype="customs_broker")
    advanced = world.enterprise("4200000613", level="advanced", level_since="2025-01-01")
    world.evaluate("2025-09-30")
    statuses = dict(
        world.con.execute(
            "SELECT customs_code || ' ' || rule_id, status FROM marts.rule_results "
            "WHERE as_of = DATE '2025-09-30' AND rule_id IN ('D3', 'D4', 'W3')"
        ).fetchall()
    )
    assert statuses == {
        f"{importer} D3": "pass",
        f"{importer} D4": "n_a",
        f"{importer} W3": "n_a",
        f"{broker} D3": "n_a",
        f"{broker} D4": "pass",
        f"{broker} W3": "n_a",
        f"{advanced} D3": "pass",
        f"{advanced} D4": "n_a",
        f"{advanced} W3": "pass",  # review due 2028-01-01
    }
    stored = world.con.execute(
        "SELECT count(*) FROM marts.rule_outcomes WHERE status = 'n_a'"
    ).fetchall()
    assert stored == [(0,)]


def test_limits_without_documents_quote_the_amount_alone(world):
    # docs = 0: D3 and W1 judge F alone, and A6's count limit is the fixed 5
    code = world.enterprise("4200000609")
    world.case(code, "2025-03-01", 800_000)
    world.evaluate("2025-09-30")
    thresholds = {r: world.rule(code, r)["threshold"] for r in ("D3", "W1", "A6")}
    assert thresholds == {
        "D3": "F > 1,000,000 CNY (no documents last year)",
        "W1": "F >= 700,000 CNY (no documents last year)",
        "A6": "F <= 50,000 CNY, n <= 5, each fine <= 30,000 CNY",
    }
    # with documents the count limit is quoted exactly (2.999 never reads 3.0 beside an n = 3 that
    # exceeds it), and A6's is the larger of 5 and 0.001 x docs
    other = world.enterprise("4200000610")
    world.declarations(other, 2024, 12_345)
    broker = world.enterprise("4200000611", etype="customs_broker")
    world.declarations("4200000612", 2024, 9_999, broker=broker)
    world.case(broker, "2025-03-01", 100)
    world.evaluate("2025-09-30")
    assert world.rule(other, "D3")["threshold"] == "n > 12.345 and F > 1,000,000 CNY"
    assert world.rule(other, "W1")["threshold"] == "n >= 8.6415 and F >= 700,000 CNY"
    assert world.rule(other, "A6")["threshold"].startswith("F <= 50,000 CNY, n <= 12.345,")
    a6 = world.rule(broker, "A6")  # n = 1 > 0.0001 x 9,999
    assert (a6["status"], a6["threshold"]) == (
        "fail",
        "n <= 0.9999, F <= 30,000 CNY, each fine <= 10,000 CNY",
    )
    assert world.rule(broker, "D4")["threshold"] == "n > 4.9995 and F > 300,000 CNY"
