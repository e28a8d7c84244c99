"""Readable views of the marts for the terminal: `explain` (one enterprise) and `snapshot`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import duckdb

from warehouse.errors import UserError
from warehouse.settings import Settings


def _open_read_only(settings: Settings) -> duckdb.DuckDBPyConnection:
    if not settings.warehouse.exists():
        raise UserError(f"no warehouse at {settings.warehouse}: ingest and evaluate first")
    from warehouse.connection import connect

    try:
        return connect(settings, read_only=True)
    except duckdb.IOException as exc:
        raise UserError(
            f"the warehouse {settings.warehouse} is busy (a pipeline run holds it); "
            "query the published serving copy instead, or retry when the run ends"
        ) from exc


def _resolve_as_of(con: duckdb.DuckDBPyConnection, as_of: str | None) -> dt.date:
    if as_of is not None:
        try:
            return dt.date.fromisoformat(as_of)
        except ValueError as exc:
            raise UserError(f"--as-of {as_of!r} is not a date (YYYY-MM-DD)") from exc
    latest = con.execute("SELECT max(as_of) FROM marts.evaluations").fetchall()[0][0]
    if latest is None:
        raise UserError("nothing evaluated yet: run `customs-credit evaluate` first")
    return latest


def format_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A plain fixed-width table (no dependency): one header line, a rule, the rows."""
    cells = [[_cell(v) for v in row] for row in rows]
    widths = [max([len(h)] + [len(r[i]) for r in cells]) for i, h in enumerate(headers)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in cells]
    return "\n".join(lines)


def _cell(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, list):
        return ",".join(str(v) for v in value) or "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def explain_cli(settings: Settings, customs_code: str, as_of: str | None) -> int:
    con = _open_read_only(settings)
    try:
        day = _resolve_as_of(con, as_of)
        snap = con.execute(
            "SELECT rulebook, recorded_level, assessed_level, advanced_ready, blockers, warnings, "
            "earliest_application_date, score, provisional, run_id "
            "FROM marts.eligibility_snapshot WHERE customs_code = ? AND as_of = ?",
            [customs_code, day],
        ).fetchall()
        if not snap:
            raise UserError(f"no evaluation of {customs_code} as of {day}")
        book, recorded, assessed, ready, blockers, warnings, earliest, score, prov, run = snap[0]
        print(
            f"{customs_code} as of {day}, rulebook {book}{' (provisional)' if prov else ''}, "
            f"run {run}"
        )
        print(
            f"assessed level {assessed} (recorded {recorded}); advanced ready: "
            f"{_cell(ready)}; blockers: {_cell(blockers)}; warnings: {_cell(warnings)}; "
            f"earliest application: {_cell(earliest)}; score: {_cell(score)}"
        )
        rows = con.execute(
            "SELECT rule_id, status, value, threshold, expiry_date, basis, explanation_en, "
            "explanation_zh FROM marts.rule_results WHERE customs_code = ? AND as_of = ? "
            "ORDER BY CASE left(rule_id, 1) WHEN 'D' THEN 1 WHEN 'A' THEN 2 ELSE 3 END, rule_id",
            [customs_code, day],
        ).fetchall()
        for rule_id, status, value, threshold, expiry, basis, en, zh in rows:
            print()
            print(f"{rule_id}  {status.upper():5s} value: {_cell(value)}")
            print(f"    threshold: {_cell(threshold)}; expiry: {_cell(expiry)}")
            print(f"    basis: {basis}")
            print(f"    {en}")
            print(f"    {zh}")
    finally:
        con.close()
    return 0


def snapshot_cli(settings: Settings, as_of: str | None) -> int:
    con = _open_read_only(settings)
    try:
        day = _resolve_as_of(con, as_of)
        rows = con.execute(
            "SELECT s.customs_code, e.enterprise_type, s.recorded_level, s.assessed_level, "
            "s.advanced_ready, s.blockers, s.warnings, s.earliest_application_date, s.score "
            "FROM marts.eligibility_snapshot s "
            "LEFT JOIN staging.enterprises e USING (customs_code) "
            "WHERE s.as_of = ? ORDER BY s.advanced_ready DESC, s.assessed_level, s.customs_code",
            [day],
        ).fetchall()
        if not rows:
            raise UserError(f"no snapshot as of {day}")
        headers = [
            "customs_code",
            "type",
            "recorded",
            "assessed",
            "ready",
            "blockers",
            "warnings",
            "earliest",
            "score",
        ]
        print(format_table(headers, rows))
        summary = con.execute(
            "SELECT assessed_level, count(*), count(*) FILTER (advanced_ready) "
            "FROM marts.eligibility_snapshot WHERE as_of = ? GROUP BY 1 ORDER BY 1",
            [day],
        ).fetchall()
        print()
        print(
            f"as of {day}: {len(rows)} enterprises; "
            + "; ".join(f"{level} {n} ({ready} ready)" for level, n, ready in summary)
        )
    finally:
        con.close()
    return 0
