"""Calendar arithmetic (the rulebook's month/year conventions) and the daily volume curve."""

from __future__ import annotations

import calendar as _cal
from datetime import date, timedelta

import numpy as np

from sampledata.reference import CNY_DATES, MONTH_FACTORS, WEEKDAY_FACTORS

EPOCH = date(1970, 1, 1)


def add_months(d: date, months: int) -> date:
    """d + N calendar months, clamped to the month's last day (31 Jan + 1 month = 28/29 Feb)."""
    m = d.month - 1 + months
    y, m = d.year + m // 12, m % 12 + 1
    return date(y, m, min(d.day, _cal.monthrange(y, m)[1]))


def add_years(d: date, years: int) -> date:
    return add_months(d, 12 * years)


def span_start(as_of: date) -> date:
    """First day of the ~3-year declaration history: T - 3 years < d <= T."""
    return add_years(as_of, -3) + timedelta(days=1)


def epoch_day(d: date) -> int:
    return (d - EPOCH).days


def day_weights(start: date, end: date) -> np.ndarray:
    """Relative declaration volume of each day from start to end inclusive: weekday, month season
    and the Chinese New Year holiday (a week near zero, the weeks around it reduced)."""
    n = (end - start).days + 1
    days = [start + timedelta(days=i) for i in range(n)]
    w = np.array(
        [WEEKDAY_FACTORS[d.weekday()] * MONTH_FACTORS[d.month - 1] for d in days], dtype=np.float64
    )
    for year in {start.year, end.year, *range(start.year, end.year + 1)}:
        cny = CNY_DATES.get(year)
        if cny is None:
            continue
        c = date.fromisoformat(cny)
        for offset in range(-14, 22):
            i = (c + timedelta(days=offset) - start).days
            if 0 <= i < n:
                if -1 <= offset <= 6:
                    w[i] *= 0.08  # the statutory holiday
                elif offset < -1:
                    w[i] *= 0.8  # factories close early
                else:
                    w[i] *= 0.65  # slow restart while workers return
    return w


def month_bounds(start: date, end: date) -> list[tuple[int, int, int, int]]:
    """(year, month, first day index, end day index exclusive) of each month in start..end."""
    out: list[tuple[int, int, int, int]] = []
    d = start
    while d <= end:
        first = (d - start).days
        nxt = add_months(date(d.year, d.month, 1), 1)
        last = (min(nxt - timedelta(days=1), end) - start).days + 1
        out.append((d.year, d.month, first, last))
        d = nxt
    return out
