"""The enterprise population: identities, scenarios, trade profiles and who declares for whom."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field

from sampledata import codes
from sampledata.reference import PROFILES, REGIONS, Region
from sampledata.scenarios import BROKER, IMPORTER, assign

# Scenarios whose tests scale with document counts get more volume, so the per-mille thresholds
# (n >= 2) and the error rate are meaningful at realistic sizes.
_VOLUME_BOOST = {"d3_over": 6.0, "d3_under_count": 6.0, "d3_under_amount": 6.0, "error_prone": 2.0}
_BROKER_BOOST = {"d4_broker_over": 4.0, "error_prone": 1.5}

# Declaration-change behaviour: share of declarations changed, and share of changes recorded as
# errors. error_prone enterprises sit well above the 3% error-rate warning; others well below.
CHANGE_RATE = 0.015
ERROR_SHARE = 0.3
ERROR_PRONE_CHANGE_RATE = 0.10
ERROR_PRONE_ERROR_SHARE = 0.85


@dataclass
class Enterprise:
    index: int
    customs_code: str
    uscc: str
    name: str
    etype: str
    scenario: str
    region: Region
    profile: int  # index into reference.PROFILES
    volume: float  # relative declaration volume as consignee (0 for brokers)
    broker_capacity: float  # relative attractiveness as a declarant (0 for importers)
    value_mu: float  # log-mean of an entry's value in CNY
    import_share: float
    change_rate: float
    error_share: float
    growth: float  # yearly volume growth
    # (declarant index, share) of the brokers that declare for this importer; the rest is self.
    brokers: list[tuple[int, float]] = field(default_factory=list)

    @property
    def is_broker(self) -> bool:
        return self.etype == BROKER


def build(n: int, seed: int) -> list[Enterprise]:
    rnd = random.Random(f"{seed}/population")
    dealt = assign(n, rnd)
    seen_codes: set[str] = set()
    seen_uscc: set[str] = set()
    seen_names: set[str] = set()
    region_weights = [r.weight for r in REGIONS]
    out: list[Enterprise] = []
    for i, (scenario, etype) in enumerate(dealt):
        broker = etype == BROKER
        region = rnd.choices(REGIONS, weights=region_weights)[0]
        code = _unique(lambda r=region, b=broker: codes.customs_code(rnd, r, b), seen_codes)
        uscc = _unique(lambda r=region: codes.uscc(rnd, r), seen_uscc)
        name = _unique(lambda r=region, b=broker: codes.company_name(rnd, r, b), seen_names)
        profile = rnd.choices(range(len(PROFILES)), weights=[w for _, w in PROFILES])[0]
        volume = 0.0 if broker else rnd.lognormvariate(0.0, 1.2) * _VOLUME_BOOST.get(scenario, 1.0)
        capacity = rnd.lognormvariate(0.0, 0.8) * _BROKER_BOOST.get(scenario, 1.0) if broker else 0
        prone = scenario == "error_prone"
        out.append(
            Enterprise(
                index=i,
                customs_code=code,
                uscc=uscc,
                name=name,
                etype=etype,
                scenario=scenario,
                region=region,
                profile=profile,
                volume=volume,
                broker_capacity=capacity,
                value_mu=rnd.gauss(math.log(120_000), 0.8),
                import_share=rnd.betavariate(2.0, 2.0),
                change_rate=ERROR_PRONE_CHANGE_RATE if prone else CHANGE_RATE,
                error_share=ERROR_PRONE_ERROR_SHARE if prone else ERROR_SHARE,
                growth=rnd.uniform(-0.1, 0.25),
            )
        )
    _link_brokers(out, rnd)
    return out


def _unique(make, seen: set[str]) -> str:  # type: ignore[no-untyped-def]
    while True:
        value = make()
        if value not in seen:
            seen.add(value)
            return value


def _link_brokers(ents: list[Enterprise], rnd: random.Random) -> None:
    """Importers either declare themselves or hire one or two brokers (a mix per month)."""
    brokers = [e for e in ents if e.is_broker]
    if not brokers:
        return
    caps = [b.broker_capacity for b in brokers]
    for e in ents:
        if e.etype != IMPORTER:
            continue
        r = rnd.random()
        if r < 0.35:
            continue  # fully self-declared
        k = 1 if r < 0.75 or len(brokers) == 1 else 2
        chosen: list[Enterprise] = []
        while len(chosen) < k:
            b = rnd.choices(brokers, weights=caps)[0]
            if b not in chosen:
                chosen.append(b)
        self_share = rnd.uniform(0.0, 0.3)
        split = rnd.uniform(0.55, 0.85) if k == 2 else 1.0
        rest = 1.0 - self_share
        e.brokers = [(chosen[0].index, rest * split)]
        if k == 2:
            e.brokers.append((chosen[1].index, rest * (1.0 - split)))
