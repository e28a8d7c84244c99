"""Per-enterprise records of the small kinds: enterprises, cases, liabilities, certification events,
filings, control self-assessments and financials, each following the enterprise's scenario.

Every enterprise draws from its own random stream (seed + index), so one enterprise's story does
not shift when another scenario changes. Dates are relative to as_of (T) and never after it.
"""

from __future__ import annotations

import math
import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np

from sampledata.dates import add_months, add_years
from sampledata.population import Enterprise
from sampledata.reference import ASSESSMENT_ITEMS
from sampledata.volumes import Plan

Row = dict[str, object]

# Thresholds the near-threshold scenarios aim at (credit-rules.md, D3/D4). Generator inputs only:
# the engine reads its own from the rulebook.
D3_RATIO, D3_AMOUNT = 0.001, 1_000_000
D4_RATIO, D4_AMOUNT = 0.0005, 300_000
NON_INTENTIONAL_FROM, NON_INTENTIONAL_TO = date(2023, 12, 1), date(2025, 12, 31)
VALUE_SIGMA = 1.1  # must match declarations' log-normal sigma for the tax estimates
DUTY_RATE, VAT_RATE = 0.05, 0.13 * 1.05

_CASE_WORD = {
    "smuggling_crime": "缉刑",
    "serious_safety_crime": "缉刑",
    "smuggling_act": "缉违",
    "supervision_violation": "违",
    "tax_violation": "违",
    "obstruction": "稽",
    "bribery": "稽",
    "solid_waste_import": "固废",
}
_SCORED = [code for code, module, _ in ASSESSMENT_ITEMS if module != "additional"]
# A7 counts basically_meets of these two modules together.
_IC_TS = [i for i, mod, _ in ASSESSMENT_ITEMS if mod in ("internal_control", "trade_security")]
_FS_CO = [code for code, mod, _ in ASSESSMENT_ITEMS if mod in ("financial", "compliance")]
_MAYBE_NA = ["IC-4.1", "TS-5.1", "FS-2.2", "CO-3.2"]


@dataclass
class Records:
    enterprises: list[Row] = field(default_factory=list)
    cases: list[Row] = field(default_factory=list)
    liabilities: list[Row] = field(default_factory=list)
    certification_events: list[Row] = field(default_factory=list)
    filings: list[Row] = field(default_factory=list)
    control_assessments: list[Row] = field(default_factory=list)
    financials: list[Row] = field(default_factory=list)

    def by_kind(self) -> dict[str, list[Row]]:
        return dict(vars(self))


def build(ents: list[Enterprise], plan: Plan, as_of: date, seed: int) -> Records:
    rec = Records()
    case_numbers: dict[tuple[str, int, str], int] = defaultdict(int)
    py = as_of.year - 1
    docs = {
        "consignee": plan.consignee_docs(py),
        "declarant": plan.declarant_docs(py, len(ents)),
    }
    month_starts = [plan.start + timedelta(days=int(f)) for f in plan.month_first]
    for e in ents:
        b = _Builder(e, as_of, random.Random(f"{seed}/events/{e.index}"), rec, case_numbers)
        b.baseline(plan.counts[e.index], month_starts)
        own_docs = docs["declarant" if e.is_broker else "consignee"][e.index]
        getattr(b, f"s_{e.scenario}")(int(own_docs))
        b.finish()
    return rec


class _Builder:
    def __init__(
        self,
        e: Enterprise,
        as_of: date,
        rnd: random.Random,
        rec: Records,
        case_numbers: dict[tuple[str, int, str], int],
    ) -> None:
        self.e, self.T, self.rnd, self.rec, self.case_numbers = e, as_of, rnd, rec, case_numbers
        self.level = "regular"
        self.level_since: date | None = None
        self.n_liab = 0
        self.n_filing = 0
        self.leverage_high = False

    # ---- small helpers -------------------------------------------------------------------
    def ago(self, lo: int, hi: int) -> date:
        return self.T - timedelta(days=self.rnd.randint(lo, hi))

    def between(self, a: date, b: date) -> date:
        return a + timedelta(days=self.rnd.randint(0, max(0, (b - a).days)))

    def w1_start(self) -> date:
        return add_years(self.T, -1) + timedelta(days=1)

    def this_year_window(self) -> tuple[date, date]:
        """Decision dates for counted penalties: in W1(T) and in T's calendar year, so 'docs as
        at d' is the previous year's count for every day the penalties are in the window."""
        return max(date(self.T.year, 1, 1), self.w1_start()), self.T

    def split(self, total_cents: int, n: int) -> list[int]:
        weights = [self.rnd.uniform(0.5, 1.5) for _ in range(n)]
        s = sum(weights)
        parts = [max(1, int(total_cents * w / s)) for w in weights[:-1]]
        return [*parts, total_cents - sum(parts)]

    # ---- record makers -------------------------------------------------------------------
    def liability(self, kind: str, cents: int, due: date, paid: date | None) -> None:
        self.n_liab += 1
        self.rec.liabilities.append(
            {
                "liability_id": f"SD{self.e.customs_code}{self.n_liab:05d}",
                "customs_code": self.e.customs_code,
                "kind": kind,
                "amount_cny": max(1, cents),
                "due_date": due,
                "paid_date": paid if paid is not None and paid <= self.T else None,
            }
        )

    def case(
        self,
        case_type: str,
        *,
        decided: date | None,
        opened: date | None = None,
        status: str | None = None,
        penalty: str = "fine",
        fine_cents: int | None = None,
        judgment: date | None = None,
        vd: bool = False,
        intentional: str = "unknown",
        fine_paid: bool = True,
    ) -> None:
        rnd = self.rnd
        if decided is None:  # still under investigation
            opened = opened or self.ago(10, 200)
            status, penalty_kind, closed = "investigating", None, None
        else:
            opened = opened or decided - timedelta(days=rnd.randint(30, 240))
            status = status or ("closed" if rnd.random() < 0.5 else "decided")
            closed = min(self.T, decided + timedelta(days=rnd.randint(0, 60)))
            closed = closed if status in ("closed", "revoked") else None
            penalty_kind = penalty
        word = _CASE_WORD[case_type]
        key = (self.e.region.case_abbr, opened.year, word)
        self.case_numbers[key] += 1
        self.rec.cases.append(
            {
                "case_id": f"{key[0]}关{word}字〔{key[1]}〕{self.case_numbers[key]}号",
                "customs_code": self.e.customs_code,
                "case_type": case_type,
                "status": status,
                "opened_date": opened,
                "decided_date": decided,
                "closed_date": closed,
                "judgment_effective_date": judgment,
                "penalty_kind": penalty_kind,
                "fine_cny": fine_cents if penalty_kind in ("fine", "confiscation") else None,
                "voluntary_disclosure": vd,
                "intentional": intentional,
            }
        )
        if decided is not None and fine_cents and status != "revoked":
            due = decided + timedelta(days=15)
            paid = due - timedelta(days=rnd.randint(0, 14)) if fine_paid else None
            self.liability("fine", fine_cents, due, paid)

    def event(self, event_type: str, day: date) -> None:
        if day <= self.T:
            self.rec.certification_events.append(
                {"customs_code": self.e.customs_code, "event_type": event_type, "event_date": day}
            )

    def filing(self, kind: str, due: date, filed: date | None) -> None:
        self.n_filing += 1
        self.rec.filings.append(
            {
                "filing_id": f"BA{self.e.customs_code}{self.n_filing:03d}",
                "customs_code": self.e.customs_code,
                "kind": kind,
                "due_date": due,
                "filed_date": filed if filed is not None and filed <= self.T else None,
            }
        )

    def assess(self, day: date, quality: str = "good") -> None:
        """One self-assessment round (every catalogue item on the same day)."""
        rnd = self.rnd
        result = {code: "meets" for code, _, _ in ASSESSMENT_ITEMS}
        for code in rnd.sample(_MAYBE_NA, rnd.randint(0, 2)):
            result[code] = "not_applicable"
        open_items = [c for c in _SCORED if result[c] == "meets"]
        n_bm = {"good": rnd.randint(0, 2), "previous": rnd.randint(2, 4)}.get(quality, 1)
        for code in rnd.sample(open_items, n_bm):
            result[code] = "basically_meets"
        if quality == "previous" and rnd.random() < 0.5:
            result[rnd.choice(_FS_CO)] = "fails"
        if rnd.random() < 0.4:
            result["AD-2"] = "not_applicable"
        if quality == "pending":
            result[rnd.choice(list(result))] = "pending"
        elif quality == "fails":
            result[rnd.choice(_SCORED)] = "fails"
        elif quality == "many_bm":
            for code in rnd.sample(_IC_TS, rnd.randint(4, 6)):
                result[code] = "basically_meets"
        elif quality == "low_score":  # A7 by score alone: 100 - 7 with no bonus = 93
            for code in _IC_TS + _FS_CO:
                result[code] = "meets"
            for code in rnd.sample(_IC_TS, 3) + rnd.sample(_FS_CO, 4):
                result[code] = "basically_meets"
            result["AD-1"] = result["AD-2"] = "not_applicable"
        items = ASSESSMENT_ITEMS
        if quality == "partial":  # an early, incomplete round: only the first two modules
            items = tuple(i for i in ASSESSMENT_ITEMS if i[1] in ("internal_control", "financial"))
            result[rnd.choice([c for c, _, _ in items])] = "fails"
        for code, module, department in items:
            self.rec.control_assessments.append(
                {
                    "customs_code": self.e.customs_code,
                    "item_code": code,
                    "module": module,
                    "department": department,
                    "result": result[code],
                    "assessed_date": day,
                    "evidence_ref": f"ZP-{day.year}-{code}" if rnd.random() < 0.85 else None,
                }
            )

    def good_assessment(self) -> None:
        latest = self.ago(15, 200)
        if self.rnd.random() < 0.5:  # an older, weaker round: only the latest counts
            self.assess(latest - timedelta(days=self.rnd.randint(300, 420)), "previous")
        self.assess(latest, "good")

    def certify(self, certified: date, level: str = "advanced") -> None:
        self.event("applied", certified - timedelta(days=self.rnd.randint(90, 200)))
        self.event("certified", certified)
        self.level, self.level_since = level, certified

    def counted_penalties(self, n: int, total_cents: int) -> None:
        """n supervision / tax-violation fines decided in this year's part of W1(T), all counted
        (no voluntary disclosure, intentional), summing exactly to total_cents."""
        lo, hi = self.this_year_window()
        days = sorted(self.between(lo, hi) for _ in range(n))
        for day, cents in zip(days, self.split(total_cents, n), strict=True):
            self.case(
                self.rnd.choice(("supervision_violation", "tax_violation")),
                decided=day,
                fine_cents=cents,
                intentional=self.rnd.choice(("yes", "unknown")),
            )

    # ---- baseline every enterprise gets ----------------------------------------------------
    def baseline(self, monthly_counts: np.ndarray, month_starts: list[date]) -> None:
        rnd, e = self.rnd, self.e
        # Monthly consolidated duty and VAT (汇总征税), due on the 15th of the next month, paid on
        # time; the latest may not be due yet.
        mean_value = math.exp(e.value_mu + VALUE_SIGMA**2 / 2)
        for count, first in zip(monthly_counts, month_starts, strict=True):
            imports = float(count) * e.import_share
            if imports < 0.5:
                continue
            due = add_months(date(first.year, first.month, 15), 1)
            for kind, rate in (("duty", DUTY_RATE), ("vat", VAT_RATE)):
                cents = int(imports * mean_value * rate * rnd.lognormvariate(0.0, 0.25) * 100)
                self.liability(kind, cents, due, due - timedelta(days=rnd.randint(0, 12)))
        # Annual reports, due 30 June, filed on time (early filing for the coming one sometimes).
        for year in range(self.T.year - 2, self.T.year + 1):
            due = date(year, 6, 30)
            if due <= self.T:
                self.filing("annual_report", due, due - timedelta(days=rnd.randint(3, 170)))
            elif rnd.random() < 0.4 and date(year, 1, 1) <= self.T:
                self.filing("annual_report", due, self.between(date(year, 1, 1), self.T))
            else:
                self.filing("annual_report", due, None)
        if rnd.random() < 0.3:
            due = self.ago(30, 900)
            self.filing("change_filing", due, due - timedelta(days=rnd.randint(1, 25)))
        if rnd.random() < 0.05:
            due = self.ago(30, 900)
            self.filing("temporary_filing", due, due - timedelta(days=rnd.randint(0, 10)))

    def financials(self) -> None:
        rnd = self.rnd
        n_years = 4 if rnd.random() < 0.6 else 3
        assets = rnd.lognormvariate(math.log(8e7), 1.0) * max(0.2, self.e.volume) ** 0.5
        lev = rnd.uniform(0.3, 0.75)
        for year in range(self.T.year - n_years, self.T.year):
            if self.leverage_high and year >= self.T.year - 3:
                lev = rnd.uniform(0.955, 0.99)
            else:
                lev = min(0.9, max(0.1, lev + rnd.gauss(0, 0.05)))
            assets *= rnd.uniform(0.9, 1.2)
            a_cents = int(assets * 100)
            self.rec.financials.append(
                {
                    "customs_code": self.e.customs_code,
                    "fiscal_year": year,
                    "total_assets": a_cents,
                    "total_liabilities": int(a_cents * lev),
                }
            )

    def finish(self) -> None:
        self.financials()
        e = self.e
        self.rec.enterprises.append(
            {
                "customs_code": e.customs_code,
                "uscc": e.uscc,
                "name": e.name,
                "enterprise_type": e.etype,
                "recorded_level": self.level,
                "level_since": self.level_since,
            }
        )

    # ---- scenarios (one method per scenarios.SCENARIOS entry) -------------------------------
    def s_regular_typical(self, docs: int) -> None:
        r = self.rnd.random()
        if r < 0.2:
            self.assess(self.ago(100, 500), "partial")
        elif r < 0.3:
            self.good_assessment()
        if self.rnd.random() < 0.15:  # an old warning, outside every window that counts
            self.case("supervision_violation", decided=self.ago(400, 1000), penalty="warning")
        if self.rnd.random() < 0.05:  # a fine later revoked on review: never counts
            self.case(
                "tax_violation",
                decided=self.ago(30, 300),
                status="revoked",
                fine_cents=self.rnd.randint(20_000, 200_000) * 100,
            )

    def s_clean_ready(self, docs: int) -> None:
        self.good_assessment()
        if self.rnd.random() < 0.2:
            self.certify(self.ago(200, 1400), "certified")

    def s_advanced_certified(self, docs: int) -> None:
        self.good_assessment()
        if self.rnd.random() < 0.3:  # certified long ago, passed the 5-year review since
            first = self.ago(1900, 2900)
            self.certify(first)
            self.event("review_passed", add_years(first, 5))  # 74-1074 days ago
        else:
            self.certify(self.ago(100, 1500))

    def s_advanced_review_due(self, docs: int) -> None:
        self.good_assessment()
        review = self.T + timedelta(days=self.rnd.randint(-30, 170))
        self.certify(add_years(review, -5))

    def s_certified_level(self, docs: int) -> None:
        self.good_assessment()
        self.certify(self.ago(100, 1400), "certified")

    def s_d3_over(self, docs: int) -> None:
        n = math.floor(D3_RATIO * docs) + 1
        self.counted_penalties(n, (D3_AMOUNT + self.rnd.randint(1_000, 80_000)) * 100)

    def s_d3_under_count(self, docs: int) -> None:
        n = math.floor(D3_RATIO * docs)
        if n == 0:  # too few documents for a count margin: fall back to the amount margin
            self.s_d3_under_amount(docs)
            return
        self.counted_penalties(n, (D3_AMOUNT + self.rnd.randint(1_000, 80_000)) * 100)

    def s_d3_under_amount(self, docs: int) -> None:
        n = math.floor(D3_RATIO * docs) + 1
        self.counted_penalties(n, (D3_AMOUNT - self.rnd.randint(1_000, 60_000)) * 100)

    def s_d4_broker_over(self, docs: int) -> None:
        n = math.floor(D4_RATIO * docs) + 1
        self.counted_penalties(n, (D4_AMOUNT + self.rnd.randint(1_000, 40_000)) * 100)

    def s_smuggling_act(self, docs: int) -> None:
        decided = self.ago(30, 700)
        if self.rnd.random() < 0.7:
            self.case("smuggling_act", decided=decided, fine_cents=self._amount(50_000, 3_000_000))
        else:
            self.case("smuggling_act", decided=decided, penalty="confiscation")
        self._record_dishonest(decided, "dishonest", 0.7)

    def s_smuggling_crime(self, docs: int) -> None:
        judgment = self.ago(30, 700)
        decided = judgment - timedelta(days=self.rnd.randint(10, 20))
        self.case(
            "smuggling_crime",
            decided=decided,
            opened=decided - timedelta(days=self.rnd.randint(200, 500)),
            judgment=judgment,
            fine_cents=self._amount(200_000, 5_000_000),
        )
        self._record_dishonest(judgment, "dishonest", 0.9)

    def s_serious_safety(self, docs: int) -> None:
        if self.rnd.random() < 0.5:
            judgment = self.ago(30, 700)
            decided = judgment - timedelta(days=self.rnd.randint(10, 20))
            self.case(
                "serious_safety_crime",
                decided=decided,
                opened=decided - timedelta(days=self.rnd.randint(200, 500)),
                judgment=judgment,
                fine_cents=self._amount(500_000, 5_000_000),
            )
            since = judgment
        else:
            since = self.ago(30, 700)
            self.case("solid_waste_import", decided=since, fine_cents=self._amount(2_600_000, 6e6))
        self._record_dishonest(since, "seriously_dishonest", 0.9)

    def s_tax_arrears(self, docs: int) -> None:
        due = self.ago(95, 320)  # > 3 calendar months (at most 92 days) before T
        self.liability(self.rnd.choice(("duty", "vat")), self._amount(50_000, 2_000_000), due, None)
        self._record_dishonest(add_months(due, 3) + timedelta(days=20), "dishonest", 0.3)

    def s_unpaid_fines(self, docs: int) -> None:
        # Two fines, each under 10k, together over it, due more than 6 months (<= 184 days) ago.
        for _ in range(2):
            self.case(
                "supervision_violation",
                decided=self.ago(205, 340),
                fine_cents=self.rnd.randint(5_500, 9_500) * 100,
                fine_paid=False,
            )

    def s_open_case(self, docs: int) -> None:
        self.good_assessment()
        ctype = self.rnd.choice(("supervision_violation", "tax_violation", "smuggling_act"))
        self.case(ctype, decided=None)

    def s_overdue_liability(self, docs: int) -> None:
        self.good_assessment()
        kind = self.rnd.choice(("duty", "vat", "late_fee"))
        self.liability(kind, self._amount(2_000, 200_000), self.ago(5, 75), None)  # < 3 months

    def s_cooldown_failed(self, docs: int) -> None:
        self.good_assessment()
        failed = self.ago(20, 330)
        self.event("applied", failed - timedelta(days=self.rnd.randint(60, 200)))
        self.event("certification_failed", failed)

    def s_cooldown_downgraded(self, docs: int) -> None:
        self.good_assessment()
        self.certify(self.ago(900, 1600))
        downgraded = self.ago(20, 330)
        self.event("downgraded", downgraded)
        self.level, self.level_since = "regular", downgraded

    def s_high_leverage(self, docs: int) -> None:
        self.good_assessment()
        self.leverage_high = True

    def s_voluntary_disclosure(self, docs: int) -> None:
        self.good_assessment()
        lo = self.w1_start()
        for _ in range(self.rnd.randint(1, 3)):
            warning = self.rnd.random() < 0.3
            self.case(
                self.rnd.choice(("supervision_violation", "tax_violation")),
                decided=self.between(lo, self.T),
                penalty="warning" if warning else "fine",
                fine_cents=None if warning else self._amount(80_000, 450_000),  # under any cap
                vd=True,
            )

    def s_non_intentional(self, docs: int) -> None:
        self.good_assessment()
        lo = max(self.w1_start(), NON_INTENTIONAL_FROM)
        hi = min(self.T, NON_INTENTIONAL_TO)
        if lo > hi:  # as_of outside the exclusion period: the cases will count
            lo, hi = self.w1_start(), self.T
        for _ in range(self.rnd.randint(1, 2)):
            self.case(
                "supervision_violation",
                decided=self.between(lo, hi),
                fine_cents=self._amount(60_000, 300_000),
                intentional="no",
            )

    def s_late_filings(self, docs: int) -> None:
        self.good_assessment()
        if self.rnd.random() < 0.7:  # filed late, due within W1
            due = self.ago(40, 300)
            self.filing("change_filing", due, due + timedelta(days=self.rnd.randint(3, 35)))
        else:  # never filed, however old
            due = self.ago(60, 700)
            self.filing(self.rnd.choice(("change_filing", "temporary_filing")), due, None)

    def s_error_prone(self, docs: int) -> None:
        self.good_assessment()  # the errors themselves are in declaration_changes

    def s_repaired_dishonest(self, docs: int) -> None:
        decided = self.ago(735, 1080)  # 2-3 years ago: repaired, still within A1's 3 years
        self.case("smuggling_act", decided=decided, fine_cents=self._amount(50_000, 800_000))
        repaired = add_years(decided, 2)
        self.event("upgraded_from_dishonest", repaired)
        self.level_since = repaired

    def s_recorded_dishonest(self, docs: int) -> None:
        # Customs still lists it: duty paid far too late, more than 2 years ago.
        due = self.ago(880, 980)
        self.liability("duty", self._amount(30_000, 500_000), due, due + timedelta(days=120))
        self.level, self.level_since = "dishonest", add_months(due, 3) + timedelta(days=30)

    def s_assessment_gaps(self, docs: int) -> None:
        quality = self.rnd.choice(("pending", "fails", "many_bm", "low_score"))
        self.assess(self.ago(15, 200), quality)

    # ---- scenario helpers -------------------------------------------------------------------
    def _amount(self, lo: float, hi: float) -> int:
        """Cents, log-uniform between lo and hi CNY."""
        return int(math.exp(self.rnd.uniform(math.log(lo), math.log(hi))) * 100)

    def _record_dishonest(self, since: date, level: str, share: float) -> None:
        """Customs records the level some weeks after the event (not always yet)."""
        recorded = since + timedelta(days=self.rnd.randint(15, 60))
        if recorded <= self.T and self.rnd.random() < share:
            self.level, self.level_since = level, recorded
