"""The declaration plan: how many declarations each (consignee, declarant, month) gets.

Planned up front (a few arrays of enterprises x months), so the events stage knows each
enterprise's previous-year document count before a single declaration row exists, and the rows
themselves can be generated chunk by chunk without holding them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np

from sampledata.dates import day_weights, month_bounds, span_start
from sampledata.population import Enterprise


@dataclass
class Plan:
    start: date
    as_of: date
    total: int
    month_year: np.ndarray  # (Mo,) calendar year of each month
    month_first: np.ndarray  # (Mo,) first day index of the month
    month_end: np.ndarray  # (Mo,) day index after the month's last day
    day_cum: np.ndarray  # (days + 1,) cumulative day weights, leading 0
    counts: np.ndarray  # (E, Mo) declarations per consignee and month
    seg_consignee: np.ndarray  # (S,) per segment, ordered by month then consignee
    seg_declarant: np.ndarray
    seg_month: np.ndarray
    seg_end: np.ndarray  # (S,) cumulative row count at the segment's end

    def consignee_docs(self, year: int) -> np.ndarray:
        """Declarations per enterprise as consignee in a calendar year."""
        return self.counts[:, self.month_year == year].sum(axis=1)

    def declarant_docs(self, year: int, n_enterprises: int) -> np.ndarray:
        """Declarations per enterprise as declarant in a calendar year."""
        seg_counts = np.diff(self.seg_end, prepend=0)
        in_year = self.month_year[self.seg_month] == year
        return np.bincount(
            self.seg_declarant[in_year], weights=seg_counts[in_year], minlength=n_enterprises
        ).astype(np.int64)


def plan(ents: list[Enterprise], total: int, as_of: date, rng: np.random.Generator) -> Plan:
    start = span_start(as_of)
    dw = day_weights(start, as_of)
    months = month_bounds(start, as_of)
    month_year = np.array([y for y, _, _, _ in months], dtype=np.int32)
    first = np.array([f for _, _, f, _ in months], dtype=np.int64)
    end = np.array([e for _, _, _, e in months], dtype=np.int64)
    day_cum = np.concatenate([[0.0], np.cumsum(dw)])
    month_w = day_cum[end] - day_cum[first]
    years_in = (first / 365.25)[None, :]

    volume = np.array([e.volume for e in ents])
    growth = np.array([e.growth for e in ents])[:, None]
    cell_w = volume[:, None] * month_w[None, :] * np.power(1.0 + growth, years_in)
    n_e, n_m = cell_w.shape
    if total > 0 and cell_w.sum() > 0:
        p = (cell_w / cell_w.sum()).ravel()
        counts = rng.multinomial(total, p).reshape(n_e, n_m)
    else:
        counts = np.zeros((n_e, n_m), dtype=np.int64)

    # Split each cell between the consignee itself and up to two brokers.
    declarant = np.empty((n_e, 3), dtype=np.int64)
    shares = np.zeros((n_e, 3))
    for e in ents:
        declarant[e.index] = e.index
        shares[e.index, 0] = 1.0
        for j, (b, share) in enumerate(e.brokers, start=1):
            declarant[e.index, j] = b
            shares[e.index, j] = share
        shares[e.index, 0] = max(0.0, 1.0 - shares[e.index, 1:].sum())
    shares /= shares.sum(axis=1, keepdims=True)
    split = rng.multinomial(counts, shares[:, None, :])  # (E, Mo, 3)

    by_month = split.transpose(1, 0, 2)  # (Mo, E, 3): the file runs month by month
    m_idx, e_idx, j_idx = np.nonzero(by_month)
    seg_counts = by_month[m_idx, e_idx, j_idx]
    return Plan(
        start=start,
        as_of=as_of,
        total=int(counts.sum()),
        month_year=month_year,
        month_first=first,
        month_end=end,
        day_cum=day_cum,
        counts=counts,
        seg_consignee=e_idx.astype(np.int64),
        seg_declarant=declarant[e_idx, j_idx],
        seg_month=m_idx.astype(np.int64),
        seg_end=np.cumsum(seg_counts).astype(np.int64),
    )
