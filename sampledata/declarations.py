"""Declarations and their changes, generated chunk by chunk from the plan (vectorised numpy).

Row r of the file belongs to the plan segment whose cumulative count first exceeds r, so any chunk
can be generated alone: memory stays at one chunk whatever the total.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import polars as pl

from sampledata.dates import epoch_day
from sampledata.frames import date_series, money
from sampledata.population import Enterprise
from sampledata.reference import (
    CHANGE_REASONS,
    FILING_LIST_MODES,
    PORT_DISTRICTS,
    PROFILES,
    TRADE_MODES,
)
from sampledata.volumes import Plan

CHUNK_ROWS = 500_000
# entry_id sequence: a bijection of the row number onto 0..10^9-1 (multiplier coprime to 10^9),
# so ids are unique without looking sequential.
_SEQ_MOD = 1_000_000_000
_SEQ_MUL = 387_420_489  # 3^18
HOME_DISTRICT_SHARE = 0.8
CANCEL_SHARE = 0.2
CUSTOMS_INITIATED_SHARE = 0.35
RECENT_ACCEPTED_DAYS = 4  # declarations this recent are often still "accepted", not released
FILING_LIST_VALUE_MU = np.log(260.0)  # cross-border e-commerce parcels are small


class _Lookup:
    """Per-enterprise attributes as arrays, for vectorised gathers."""

    def __init__(self, ents: list[Enterprise]) -> None:
        self.codes = pl.Series([e.customs_code for e in ents], dtype=pl.String)
        self.home = np.array([int(e.region.district) for e in ents], dtype=np.int64)
        self.profile = np.array([e.profile for e in ents], dtype=np.int64)
        self.value_mu = np.array([e.value_mu for e in ents])
        self.import_share = np.array([e.import_share for e in ents])
        self.change_rate = np.array([e.change_rate for e in ents])
        self.error_share = np.array([e.error_share for e in ents])
        k = max(len(modes) for modes in TRADE_MODES.values())
        self.mode_codes = np.zeros((len(PROFILES), k), dtype=np.int64)
        self.mode_cum = np.full((len(PROFILES), k), 2.0)  # padding is never chosen
        for p, (name, _) in enumerate(PROFILES):
            modes = TRADE_MODES[name]
            w = np.array([wt for _, wt in modes])
            self.mode_codes[p, : len(modes)] = [int(code) for code, _ in modes]
            self.mode_cum[p, : len(modes)] = np.cumsum(w / w.sum())
            self.mode_cum[p, len(modes) - 1] = 1.0
        self.filing_modes = np.array(sorted(int(m) for m in FILING_LIST_MODES))
        self.ports = np.array([int(d) for d in PORT_DISTRICTS], dtype=np.int64)


def chunks(
    plan: Plan, ents: list[Enterprise], seed: int, chunk_rows: int | None = None
) -> Iterator[tuple[pl.DataFrame, pl.DataFrame]]:
    """(declarations, declaration_changes) frames, chunk by chunk, in file order. The output
    depends on the chunk size (one random stream per chunk), so keep CHUNK_ROWS fixed."""
    chunk_rows = chunk_rows or CHUNK_ROWS
    look = _Lookup(ents)
    seq_offset = int(np.random.default_rng([seed, 7]).integers(_SEQ_MOD))
    for k, lo in enumerate(range(0, plan.total, chunk_rows)):
        hi = min(plan.total, lo + chunk_rows)
        rng = np.random.default_rng([seed, 1, k])  # one stream per chunk: chunks are independent
        yield _chunk(plan, look, rng, lo, hi, seq_offset)


def _chunk(
    plan: Plan, look: _Lookup, rng: np.random.Generator, lo: int, hi: int, seq_offset: int
) -> tuple[pl.DataFrame, pl.DataFrame]:
    n = hi - lo
    rows = np.arange(lo, hi, dtype=np.int64)
    seg = np.searchsorted(plan.seg_end, rows, side="right")
    cons = plan.seg_consignee[seg]
    decl = plan.seg_declarant[seg]
    month = plan.seg_month[seg]

    # Day within the month, following the daily volume curve (weekends, New Year holiday).
    c_lo = plan.day_cum[plan.month_first[month]]
    c_hi = plan.day_cum[plan.month_end[month]]
    u = c_lo + rng.random(n) * (c_hi - c_lo)
    day = np.searchsorted(plan.day_cum, u, side="right") - 1
    day = np.clip(day, plan.month_first[month], plan.month_end[month] - 1)
    epoch = epoch_day(plan.start) + day
    year = plan.month_year[month].astype(np.int64)

    imp = rng.random(n) < look.import_share[cons]
    home = rng.random(n) < HOME_DISTRICT_SHARE
    district = np.where(home, look.home[cons], look.ports[rng.integers(len(look.ports), size=n)])
    office = district + rng.integers(1, 20, size=n)  # sub-office inside the district
    seq = (rows * _SEQ_MUL + seq_offset) % _SEQ_MOD
    entry = office * 10**14 + year * 10**10 + imp.astype(np.int64) * 10**9 + seq

    prof = look.profile[cons]
    pick = (rng.random(n)[:, None] >= look.mode_cum[prof]).sum(axis=1)
    mode = look.mode_codes[prof, pick]
    is_list_mode = np.isin(mode, look.filing_modes)
    doc_kind = np.where(
        is_list_mode & (rng.random(n) < 0.85),
        "filing_list",
        np.where(rng.random(n) < 0.01, "manifest", "entry"),
    )
    mu = np.where(doc_kind == "filing_list", FILING_LIST_VALUE_MU, look.value_mu[cons])
    cents = np.maximum(1, np.rint(np.exp(mu + 1.1 * rng.standard_normal(n)) * 100)).astype(np.int64)

    # Changes: at most one per declaration; a cancel also cancels the declaration.
    p_change = np.maximum(look.change_rate[cons], look.change_rate[decl])
    changed = rng.random(n) < p_change
    cancel = changed & (rng.random(n) < CANCEL_SHARE)
    recent = epoch > epoch_day(plan.as_of) - RECENT_ACCEPTED_DAYS
    status = np.where(
        cancel,
        "cancelled",
        np.where(
            (recent & (rng.random(n) < 0.75)) | (rng.random(n) < 0.004), "accepted", "released"
        ),
    )

    entry_str = pl.Series("entry_id", entry).cast(pl.String).str.zfill(18)
    decls = pl.DataFrame(
        {
            "entry_id": entry_str,
            "consignee_code": look.codes.gather(cons).alias("consignee_code"),
            "declarant_code": look.codes.gather(decl).alias("declarant_code"),
            "declare_date": date_series("declare_date", epoch),
            "ie_flag": pl.Series(np.where(imp, "I", "E"), dtype=pl.String),
            "customs_district": pl.Series(district).cast(pl.String).str.zfill(4),
            "trade_mode": pl.Series(mode).cast(pl.String).str.zfill(4),
            "doc_kind": pl.Series(doc_kind, dtype=pl.String),
            "value_cny": money(cents),
            "status": pl.Series(status, dtype=pl.String),
        }
    )
    return decls, _changes(rng, plan, look, changed, cancel, cons, decl, entry_str, epoch, cents)


def _changes(
    rng: np.random.Generator,
    plan: Plan,
    look: _Lookup,
    changed: np.ndarray,
    cancel: np.ndarray,
    cons: np.ndarray,
    decl: np.ndarray,
    entry_str: pl.Series,
    epoch: np.ndarray,
    cents: np.ndarray,
) -> pl.DataFrame:
    idx = np.flatnonzero(changed)
    m = idx.size
    is_cancel = cancel[idx]
    err_share = np.maximum(look.error_share[cons[idx]], look.error_share[decl[idx]])
    error = rng.random(m) < err_share
    reasons = np.array([code for code, _ in CHANGE_REASONS])
    err_reasons = np.flatnonzero([is_err for _, is_err in CHANGE_REASONS])
    cancel_reasons = np.flatnonzero([code.startswith("R3") for code, _ in CHANGE_REASONS])
    other_reasons = np.flatnonzero([code.startswith("R2") for code, _ in CHANGE_REASONS])
    reason = np.where(
        error,
        err_reasons[rng.integers(len(err_reasons), size=m)],
        np.where(
            is_cancel,
            cancel_reasons[rng.integers(len(cancel_reasons), size=m)],
            other_reasons[rng.integers(len(other_reasons), size=m)],
        ),
    )
    lag = rng.geometric(0.3, size=m) - 1  # most changes follow within days
    requested = np.minimum(epoch[idx] + lag, epoch_day(plan.as_of))
    has_tax = ~is_cancel & error & (rng.random(m) < 0.5)
    tax = np.rint(cents[idx] * 0.13 * rng.normal(0.0, 0.4, size=m)).astype(np.int64)
    ids = entry_str.gather(idx)
    prefix = pl.Series(np.where(is_cancel, "CX", "XG"), dtype=pl.String)
    return pl.DataFrame(
        {
            "change_id": prefix + ids,
            "entry_id": ids,
            "change_type": pl.Series(np.where(is_cancel, "cancel", "modify"), dtype=pl.String),
            "initiator": pl.Series(
                np.where(rng.random(m) < CUSTOMS_INITIATED_SHARE, "customs", "enterprise"),
                dtype=pl.String,
            ),
            "reason_code": pl.Series(reasons[reason], dtype=pl.String),
            "requested_date": date_series("requested_date", requested),
            "error_recorded": pl.Series(error, dtype=pl.Boolean),
            "tax_impact_cny": money(tax, has_tax),
        }
    )
