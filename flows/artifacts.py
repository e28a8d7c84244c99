"""Prefect artifacts every run leaves behind: files, snapshot summary, quality results.

The builders (`files_rows`, `snapshot_summary`, `quality_rows`) are plain functions over reports
and a DuckDB connection, so they are tested without Prefect; `publish_*` turn them into artifacts
of the current flow run (keys are stable, so the UI shows each key's history across runs).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

# Re-exported: the flows take the Data Docs path from here with the other artifact builders.
from expectations.gx_docs import data_docs_index as data_docs_index

FILES_KEY = "ingested-files"
SNAPSHOT_KEY = "eligibility-snapshot-summary"
QUALITY_KEY = "quality-results"
LIST_LIMIT = 50  # rows per list in the markdown; the serving copy has them all


# --- files --------------------------------------------------------------------------------------


def files_rows(reports: Iterable[Any]) -> list[dict[str, Any]]:
    """One row per offered file: what happened to it, in numbers."""
    rows = []
    for r in reports:
        rows.append(
            {
                "file": r.file_name,
                "kind": r.kind or "",
                "status": r.status,
                "rows": int(r.rows or 0),
                "warnings": int(r.warnings or 0),
                "reason": (r.reason or "")[:300],
                "batch_id": r.batch_id or "",
                "seconds": round(float(r.duration_s or 0.0), 2),
            }
        )
    return rows


# --- snapshot summary ---------------------------------------------------------------------------


@dataclass
class SnapshotSummary:
    as_of: dt.date | None
    previous_as_of: dt.date | None
    rulebook: str | None = None
    enterprises: int = 0
    levels: dict[str, int] = field(default_factory=dict)
    ready: int = 0
    appeared: list[tuple[str, str]] = field(default_factory=list)  # (customs_code, rule)
    cleared: list[tuple[str, str]] = field(default_factory=list)
    new_enterprises: int = 0
    apply_now: list[tuple[str, str, Any]] = field(default_factory=list)  # code, level, score

    def markdown(self) -> str:
        if self.as_of is None:
            return "# Eligibility snapshot\n\nNo snapshot evaluated yet.\n"
        prev = self.previous_as_of.isoformat() if self.previous_as_of else "none"
        out = [
            f"# Eligibility snapshot {self.as_of.isoformat()} ({self.rulebook})",
            "",
            f"{self.enterprises} enterprises, {self.ready} ready to apply for advanced "
            f"certification. Compared with the previous snapshot: {prev}.",
            "",
            "| assessed level | enterprises |",
            "|---|---:|",
        ]
        out += [f"| {level} | {n} |" for level, n in self.levels.items()]
        out += ["", f"## Apply now ({len(self.apply_now)})", ""]
        if self.apply_now:
            out += ["Became ready to apply since the previous snapshot:", ""]
            out += ["| customs_code | recorded level | score |", "|---|---|---:|"]
            out += [
                f"| {code} | {level} | {'' if score is None else score} |"
                for code, level, score in self.apply_now[:LIST_LIMIT]
            ]
            out += _more(len(self.apply_now))
        else:
            out.append("No enterprise became ready since the previous snapshot.")
        for title, pairs in (
            ("Blockers that appeared", self.appeared),
            ("Blockers that cleared", self.cleared),
        ):
            out += ["", f"## {title} ({len(pairs)})", ""]
            if not pairs:
                out.append("None." if self.previous_as_of else "No previous snapshot.")
                continue
            out += ["| customs_code | rule |", "|---|---|"]
            out += [f"| {code} | {rule} |" for code, rule in pairs[:LIST_LIMIT]]
            out += _more(len(pairs))
        if self.new_enterprises:
            out += ["", f"{self.new_enterprises} enterprises are new since the previous snapshot."]
        return "\n".join(out) + "\n"


def _more(n: int) -> list[str]:
    return ["", f"... and {n - LIST_LIMIT} more."] if n > LIST_LIMIT else []


def snapshot_summary(
    con: duckdb.DuckDBPyConnection, as_of: dt.date | None = None
) -> SnapshotSummary:
    """Levels at as_of (default: latest), and what changed since the latest earlier as_of."""
    if as_of is None:
        as_of = con.execute("SELECT max(as_of) FROM marts.eligibility_snapshot").fetchone()[0]
    if as_of is None:
        return SnapshotSummary(None, None)
    prev = con.execute(
        "SELECT max(as_of) FROM marts.eligibility_snapshot WHERE as_of < ?", [as_of]
    ).fetchone()[0]
    s = SnapshotSummary(as_of, prev)
    s.rulebook = con.execute(
        "SELECT any_value(rulebook) FROM marts.eligibility_snapshot WHERE as_of = ?", [as_of]
    ).fetchone()[0]
    s.levels = dict(
        con.execute(
            """SELECT assessed_level, count(*) FROM marts.eligibility_snapshot WHERE as_of = ?
               GROUP BY 1 ORDER BY list_position(
                 ['seriously_dishonest', 'dishonest', 'regular', 'certified', 'advanced'],
                 assessed_level) NULLS LAST, 1""",
            [as_of],
        ).fetchall()
    )
    s.enterprises = sum(s.levels.values())
    s.ready = con.execute(
        "SELECT count(*) FROM marts.eligibility_snapshot WHERE as_of = ? AND advanced_ready",
        [as_of],
    ).fetchone()[0]
    both = """cur AS (SELECT * FROM marts.eligibility_snapshot WHERE as_of = $cur),
              prev AS (SELECT * FROM marts.eligibility_snapshot WHERE as_of = $prev),
              common AS (SELECT customs_code FROM cur INTERSECT SELECT customs_code FROM prev),
              cb AS (SELECT customs_code, unnest(blockers) AS rule FROM cur
                     WHERE customs_code IN (SELECT customs_code FROM common)),
              pb AS (SELECT customs_code, unnest(blockers) AS rule FROM prev
                     WHERE customs_code IN (SELECT customs_code FROM common))"""
    params = {"cur": as_of, "prev": prev}
    if prev is not None:
        s.appeared = con.execute(
            f"WITH {both} SELECT * FROM (SELECT * FROM cb EXCEPT SELECT * FROM pb) ORDER BY 1, 2",
            params,
        ).fetchall()
        s.cleared = con.execute(
            f"WITH {both} SELECT * FROM (SELECT * FROM pb EXCEPT SELECT * FROM cb) ORDER BY 1, 2",
            params,
        ).fetchall()
        s.new_enterprises = con.execute(
            f"WITH {both} SELECT count(*) FROM cur WHERE customs_code NOT IN "
            "(SELECT customs_code FROM prev)",
            params,
        ).fetchone()[0]
    # Ready now and not ready before (or not there before); advanced ones have nothing to apply
    # for.
    s.apply_now = con.execute(
        f"""WITH {both}
            SELECT cur.customs_code, cur.recorded_level, cur.score FROM cur
            LEFT JOIN prev USING (customs_code)
            WHERE cur.advanced_ready AND coalesce(cur.recorded_level, '') <> 'advanced'
              AND prev.advanced_ready IS DISTINCT FROM true
            ORDER BY cur.score DESC NULLS LAST, 1""",
        params,
    ).fetchall()
    return s


# --- quality ------------------------------------------------------------------------------------


def quality_rows(con: duckdb.DuckDBPyConnection, batch_ids: Sequence[str]) -> list[dict[str, Any]]:
    """ops.quality_results of these batches, one row per expectation run."""
    if not batch_ids:
        return []
    rows = con.execute(
        """SELECT batch_id, suite, expectation, success, unexpected_count, details
           FROM ops.quality_results WHERE list_contains(?, batch_id)
           ORDER BY batch_id, success, suite, expectation""",
        [list(batch_ids)],
    ).fetchall()
    return [
        {
            "batch_id": b,
            "suite": suite,
            "expectation": exp,
            "success": bool(ok),
            "unexpected": int(n or 0),
            "details": (details or "")[:200],
        }
        for b, suite, exp, ok, n, details in rows
    ]


def quality_markdown(rows: list[dict[str, Any]], docs: Path | None) -> str:
    failed = [r for r in rows if not r["success"]]
    batches = len({r["batch_id"] for r in rows})
    out = [
        "# Quality gate",
        "",
        f"{len(rows)} expectations over {batches} batches: {len(rows) - len(failed)} passed, "
        f"{len(failed)} failed.",
        "",
        f"Data Docs (offline HTML on the pipeline host): `{docs}`"
        if docs
        else "Data Docs: not built yet (no batch validated by GX yet); results are in "
        "ops.quality_results.",
    ]
    if failed:
        out += ["", "| batch | suite | expectation | unexpected |", "|---|---|---|---:|"]
        out += [
            f"| {r['batch_id']} | {r['suite']} | {r['expectation']} | {r['unexpected']} |"
            for r in failed[:LIST_LIMIT]
        ]
    return "\n".join(out) + "\n"


# --- publishing as Prefect artifacts ------------------------------------------------------------


def publish_files_artifact(reports: Sequence[Any]) -> None:
    from prefect.artifacts import create_table_artifact

    rows = files_rows(reports)
    accepted = sum(r["status"] == "accepted" for r in rows)
    rejected = sum(r["status"] == "rejected" for r in rows)
    create_table_artifact(
        table=rows or [{"file": "", "status": "no files", "rows": 0}],
        key=FILES_KEY,
        description=f"{len(rows)} files: {accepted} accepted, {rejected} rejected, "
        f"{sum(r['rows'] for r in rows if r['status'] == 'accepted'):,d} rows loaded",
    )


def publish_snapshot_artifact(summary: SnapshotSummary) -> None:
    from prefect.artifacts import create_markdown_artifact

    create_markdown_artifact(
        markdown=summary.markdown(),
        key=SNAPSHOT_KEY,
        description=f"snapshot {summary.as_of}: {summary.enterprises} enterprises, "
        f"{summary.ready} ready, {len(summary.apply_now)} apply now",
    )


def publish_quality_artifacts(rows: list[dict[str, Any]], docs: Path | None) -> None:
    from prefect.artifacts import create_markdown_artifact, create_table_artifact

    create_markdown_artifact(
        markdown=quality_markdown(rows, docs), key=QUALITY_KEY, description="quality gate"
    )
    if rows:
        create_table_artifact(
            table=rows, key=f"{QUALITY_KEY}-table", description="ops.quality_results rows"
        )
