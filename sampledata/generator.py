"""Sample input files of all nine kinds of the data contract (see docs/generator.md).

    generate(out, enterprises, declarations, seed, fmt, as_of) -> rows written per kind

Deterministic for (seed, arguments, as_of): numpy and random streams are seeded from the seed
only, nothing reads the clock except to default as_of. Declarations stream in chunks, so 10M rows
need one chunk of memory.
"""

from __future__ import annotations

import csv
import re
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import numpy as np

from sampledata import declarations as decl_rows
from sampledata import events, population, volumes
from sampledata.frames import from_rows
from sampledata.writers import EXTENSIONS, FORMATS, open_writer
from warehouse.contract import KINDS
from warehouse.errors import UserError

SCENARIO_FILE = "_scenarios.csv"  # not an input kind: ingestion ignores names starting with "_"
# Our own output names, so a rerun into the same folder can clear stale parts first.
_OUTPUT_NAME = re.compile(
    r"^(" + "|".join(KINDS) + r")(-part\d+)?\.(" + "|".join(set(EXTENSIONS.values())) + r")$"
)


def today_shanghai() -> date:
    try:
        from zoneinfo import ZoneInfo

        return datetime.now(ZoneInfo("Asia/Shanghai")).date()
    except Exception:  # no tz database: China has no DST, UTC+8 is exact
        return datetime.now(timezone(timedelta(hours=8))).date()


def generate(
    out: Path,
    enterprises: int,
    declarations: int,
    seed: int,
    fmt: str = "csv",
    as_of: str | None = None,
) -> dict[str, int]:
    """Write one file per kind (`<kind>.<ext>`; xlsx declarations split into parts) and
    `_scenarios.csv`; return the rows written per kind, in contract order."""
    if fmt not in FORMATS:
        raise UserError(f"unknown format {fmt!r}: use one of {', '.join(FORMATS)}")
    if enterprises < 1:
        raise UserError("--enterprises must be at least 1")
    if declarations < 0:
        raise UserError("--declarations must not be negative")
    try:
        t = date.fromisoformat(as_of) if as_of else today_shanghai()
    except ValueError as exc:
        raise UserError(f"--as-of must be YYYY-MM-DD, got {as_of!r}") from exc

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    for old in out.iterdir():
        if _OUTPUT_NAME.match(old.name) or old.name == SCENARIO_FILE:
            old.unlink()

    ents = population.build(enterprises, seed)
    plan = volumes.plan(ents, declarations, t, np.random.default_rng([seed, 0]))
    counts: dict[str, int] = {}

    d_writer = open_writer(out, "declarations", fmt, t)
    c_writer = open_writer(out, "declaration_changes", fmt, t)
    for d_chunk, c_chunk in decl_rows.chunks(plan, ents, seed):
        d_writer.write(d_chunk)
        c_writer.write(c_chunk)
    for kind, w in (("declarations", d_writer), ("declaration_changes", c_writer)):
        w.close()
        counts[kind] = w.rows

    records = events.build(ents, plan, t, seed).by_kind()
    for kind, rows in records.items():
        w = open_writer(out, kind, fmt, t)
        w.write(from_rows(kind, rows))
        w.close()
        counts[kind] = w.rows

    with open(out / SCENARIO_FILE, "w", newline="", encoding="utf-8") as fh:
        wr = csv.writer(fh, lineterminator="\n")
        wr.writerow(["customs_code", "scenario"])
        wr.writerows((e.customs_code, e.scenario) for e in ents)
    return {kind: counts[kind] for kind in KINDS}
