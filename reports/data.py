"""The rows a report shows, read from a source connection (see reports/source.py)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import duckdb

from warehouse.errors import UserError

Row = dict[str, Any]


def rows(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any] | None = None) -> list[Row]:
    cur = con.execute(sql, params or [])
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def first_number(text: str | None) -> float | None:
    """The first number in a readable threshold ("0.03", "> 3%"), as a fraction for a percent."""
    if not text:
        return None
    m = re.search(r"(\d+(?:\.\d+)?)\s*(%?)", text)
    if not m:
        return None
    value = float(m.group(1))
    return value / 100 if m.group(2) else value


@dataclass
class EnterpriseData:
    as_of: date
    enterprise: Row
    snapshot: Row
    findings: list[Row]
    indicators: Row | None
    history: list[Row]
    changes: list[Row]
    error_quarters: list[Row]
    assessments: list[Row]
    financials: list[Row]
    open_cases: list[Row]
    unpaid: list[Row]
    overdue_filings: list[Row]
    voluntary_disclosures: int
    error_rate_limit: float | None = None
    blockers: list[Row] = field(default_factory=list)
    warnings: list[Row] = field(default_factory=list)


def load_enterprise(
    con: duckdb.DuckDBPyConnection, customs_code: str, as_of: date | None = None
) -> EnterpriseData:
    code = customs_code.strip().upper()
    ent = rows(con, "SELECT * FROM enterprises WHERE customs_code = ?", [code])
    dates = [
        r["as_of"]
        for r in rows(
            con,
            "SELECT as_of FROM eligibility_snapshot WHERE customs_code = ? ORDER BY as_of",
            [code],
        )
    ]
    if not dates:
        known = "on record but never evaluated" if ent else "not on record"
        raise UserError(f"enterprise {code} is {known}: nothing to report")
    if as_of is None:
        as_of = dates[-1]
    elif as_of not in dates:
        raise UserError(
            f"{code} was not evaluated as of {as_of}; evaluated dates: "
            f"{', '.join(str(d) for d in dates[-5:])}"
        )
    p = [code, as_of]
    snapshot = rows(
        con, "SELECT * FROM eligibility_snapshot WHERE customs_code = ? AND as_of = ?", p
    )[0]
    findings = rows(
        con,
        "SELECT * FROM rule_findings WHERE customs_code = ? AND as_of = ? ORDER BY rule_id",
        p,
    )
    ind = rows(con, "SELECT * FROM indicators WHERE customs_code = ? AND as_of = ?", p)
    data = EnterpriseData(
        as_of=as_of,
        enterprise=ent[0] if ent else {"customs_code": code, "name": None},
        snapshot=snapshot,
        findings=findings,
        indicators=ind[0] if ind else None,
        history=rows(
            con,
            """SELECT * FROM enterprise_history WHERE customs_code = ? AND as_of <= ?
               ORDER BY as_of DESC LIMIT 10""",
            p,
        ),
        changes=rows(
            con,
            """SELECT * FROM snapshot_changes WHERE customs_code = ? AND as_of <= ? AND any_change
               ORDER BY as_of DESC LIMIT 10""",
            p,
        ),
        error_quarters=rows(
            con,
            """SELECT * FROM (
                   SELECT * FROM declaration_errors_quarterly
                   WHERE customs_code = ? AND quarter <= ? ORDER BY quarter DESC LIMIT 8)
               ORDER BY quarter""",
            p,
        ),
        assessments=rows(
            con,
            """SELECT * FROM control_assessments
               WHERE customs_code = ? AND assessed_date <= ?
               QUALIFY row_number() OVER (PARTITION BY item_code ORDER BY assessed_date DESC) = 1
               ORDER BY module, item_code""",
            p,
        ),
        financials=rows(
            con,
            "SELECT * FROM financials WHERE customs_code = ? ORDER BY fiscal_year",
            [code],
        ),
        open_cases=rows(
            con,
            """SELECT * FROM cases WHERE customs_code = ? AND opened_date <= ?
                 AND status <> 'revoked'
                 AND NOT coalesce(decided_date <= ?, false)
                 AND NOT coalesce(closed_date <= ?, false)
               ORDER BY opened_date""",
            [code, as_of, as_of, as_of],
        ),
        unpaid=rows(
            con,
            """SELECT * FROM liabilities WHERE customs_code = ? AND due_date < ?
                 AND (paid_date IS NULL OR paid_date > ?)
               ORDER BY due_date""",
            [code, as_of, as_of],
        ),
        overdue_filings=rows(
            con,
            """SELECT * FROM filings WHERE customs_code = ? AND due_date < ?
                 AND (filed_date IS NULL OR filed_date > ?)
               ORDER BY due_date""",
            [code, as_of, as_of],
        ),
        voluntary_disclosures=rows(
            con,
            """SELECT count(*) AS n FROM cases
               WHERE customs_code = ? AND voluntary_disclosure AND opened_date <= ?""",
            p,
        )[0]["n"],
    )
    data.blockers = [f for f in findings if f["is_blocker"]]
    data.warnings = [f for f in findings if f["status"] == "warn"]
    w2 = next((f for f in findings if f["rule_id"] == "W2"), None)
    data.error_rate_limit = first_number(w2["threshold"]) if w2 else None
    return data


@dataclass
class PortfolioData:
    as_of: date
    snapshot: list[Row]
    level_counts: list[Row]
    top_blockers: list[Row]
    changes: list[Row]
    evaluations: list[Row]


def load_portfolio(con: duckdb.DuckDBPyConnection, as_of: date | None = None) -> PortfolioData:
    dates = [r["as_of"] for r in rows(con, "SELECT DISTINCT as_of FROM eligibility_snapshot")]
    if not dates:
        raise UserError("no evaluation on record: run `customs-credit evaluate` first")
    if as_of is None:
        as_of = max(dates)
    elif as_of not in dates:
        raise UserError(f"no evaluation as of {as_of}; latest is {max(dates)}")
    snapshot = rows(
        con,
        """SELECT s.*, e.name, e.enterprise_type FROM eligibility_snapshot AS s
           LEFT JOIN enterprises AS e USING (customs_code)
           WHERE s.as_of = ?
           ORDER BY s.advanced_ready DESC, s.earliest_application_date NULLS LAST,
                    len(s.blockers), s.customs_code""",
        [as_of],
    )
    return PortfolioData(
        as_of=as_of,
        snapshot=snapshot,
        level_counts=rows(
            con,
            """SELECT assessed_level, count(*) AS n,
                      count(*) FILTER (WHERE advanced_ready) AS ready
               FROM eligibility_snapshot WHERE as_of = ? GROUP BY ALL""",
            [as_of],
        ),
        top_blockers=rows(
            con,
            """SELECT rule_id, count(*) AS n,
                      count(*) FILTER (WHERE expiry_date IS NULL) AS without_expiry,
                      min(expiry_date) AS first_expiry
               FROM rule_findings WHERE as_of = ? AND is_blocker
               GROUP BY rule_id ORDER BY n DESC, rule_id""",
            [as_of],
        ),
        changes=rows(
            con,
            """SELECT c.*, e.name FROM snapshot_changes AS c
               LEFT JOIN enterprises AS e USING (customs_code)
               WHERE c.as_of = ? AND c.any_change ORDER BY c.customs_code""",
            [as_of],
        ),
        evaluations=rows(
            con, "SELECT * FROM evaluations WHERE as_of <= ? ORDER BY as_of DESC LIMIT 1", [as_of]
        ),
    )
