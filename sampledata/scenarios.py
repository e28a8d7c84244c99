"""The catalogue of enterprise scenarios and how they are dealt out.

Each enterprise gets one scenario: the story its records tell relative to as_of, chosen so the
credit rules produce varied outcomes. The expected outcome is a hint for readers of the data, not a
test oracle: the rule engine decides (a few outcomes depend on as_of, e.g. the non-intentional
exclusion only exists for decisions from 2023-12-01 to 2025-12-31).
"""

from __future__ import annotations

import random
from dataclasses import dataclass

IMPORTER = "importer_exporter"
BROKER = "customs_broker"
ANY = "any"


@dataclass(frozen=True)
class Scenario:
    name: str
    weight: float  # share among enterprises beyond the first one of each scenario
    etype: str  # IMPORTER, BROKER or ANY
    expect: str  # intended outcome, for the docs


SCENARIOS: tuple[Scenario, ...] = (
    Scenario("regular_typical", 0.28, ANY, "regular; usually A7 (no or partial self-assessment)"),
    Scenario("clean_ready", 0.10, ANY, "advanced_ready: good self-assessment, nothing adverse"),
    Scenario("advanced_certified", 0.06, ANY, "recorded advanced, ready, review not yet due"),
    Scenario("advanced_review_due", 0.015, ANY, "recorded advanced, W3: 5-year review due"),
    Scenario("certified_level", 0.04, ANY, "recorded certified, ready"),
    Scenario("d3_over", 0.02, IMPORTER, "D3 holds: n = floor(0.001 docs)+1, F just over 1M"),
    Scenario("d3_under_count", 0.015, IMPORTER, "D3 passes: n = floor(0.001 docs), F > 1M; W1"),
    Scenario("d3_under_amount", 0.015, IMPORTER, "D3 passes: n over, F just under 1M; W1"),
    Scenario("d4_broker_over", 0.015, BROKER, "D4 holds: n = floor(0.0005 docs)+1, F > 300k"),
    Scenario("smuggling_act", 0.015, ANY, "D2: smuggling act with penalty in the last 2 years"),
    Scenario("smuggling_crime", 0.008, ANY, "D1: smuggling-crime judgment in the last 2 years"),
    Scenario("serious_safety", 0.006, ANY, "D8: seriously dishonest (safety crime / solid waste)"),
    Scenario("tax_arrears", 0.015, ANY, "D5: duty/VAT unpaid more than 3 months after due"),
    Scenario("unpaid_fines", 0.015, ANY, "D6: unpaid fines > 10k more than 6 months after due"),
    Scenario("open_case", 0.03, ANY, "A3 only: an investigating case"),
    Scenario("overdue_liability", 0.03, ANY, "A4 only: a liability overdue < 3 months"),
    Scenario("cooldown_failed", 0.02, ANY, "A2 only: certification_failed within a year"),
    Scenario("cooldown_downgraded", 0.015, ANY, "A2 only: downgraded within a year"),
    Scenario("high_leverage", 0.025, ANY, "A5 only: liabilities/assets > 0.95 three years"),
    Scenario("voluntary_disclosure", 0.025, ANY, "ready: disclosed penalties do not count"),
    Scenario("non_intentional", 0.02, IMPORTER, "ready when as_of lets the exclusion apply"),
    Scenario("late_filings", 0.04, ANY, "W4: late or unfiled filing"),
    Scenario("error_prone", 0.04, ANY, "W2: declaration error rate above 3%"),
    Scenario("repaired_dishonest", 0.012, ANY, "A1 + A2: D2 repaired < 1 year ago, upgraded"),
    Scenario("recorded_dishonest", 0.012, ANY, "recorded dishonest, no active D rule; A1"),
    Scenario("assessment_gaps", 0.04, ANY, "A7 only: pending / fails / too many basically_meets"),
)
BY_NAME = {s.name: s for s in SCENARIOS}

# Share of brokers among scenarios open to both types; with the broker-only scenario this gives
# about 20% brokers overall.
BROKER_SHARE_OF_ANY = 0.2


def assign(n: int, rnd: random.Random) -> list[tuple[str, str]]:
    """(scenario, enterprise_type) for n enterprises: every scenario once (as far as n allows), the
    rest by weight, in shuffled order. At least one broker and one importer when n >= 2."""
    names = [s.name for s in SCENARIOS]
    rnd.shuffle(names)
    picked = names[:n]
    weights = [s.weight for s in SCENARIOS]
    picked += rnd.choices([s.name for s in SCENARIOS], weights=weights, k=max(0, n - len(picked)))
    rnd.shuffle(picked)
    out: list[tuple[str, str]] = []
    for name in picked:
        etype = BY_NAME[name].etype
        if etype == ANY:
            etype = BROKER if rnd.random() < BROKER_SHARE_OF_ANY else IMPORTER
        out.append((name, etype))
    if n >= 2:
        _ensure_type(out, BROKER)
        _ensure_type(out, IMPORTER)
    elif n == 1 and out[0][1] == BROKER:
        out[0] = ("regular_typical", IMPORTER)  # declarations need a consignee
    return out


def _ensure_type(out: list[tuple[str, str]], etype: str) -> None:
    if any(t == etype for _, t in out):
        return
    for i, (name, _) in enumerate(out):
        if BY_NAME[name].etype == ANY:
            out[i] = (name, etype)
            return
    out[-1] = ("regular_typical", etype)
