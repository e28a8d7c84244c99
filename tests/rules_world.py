"""A tiny staging world for rule tests: rows inserted straight into staging, then evaluated."""

from __future__ import annotations

import datetime as dt
import itertools
from pathlib import Path
from typing import Any

import duckdb

from transforms.engine import evaluate
from warehouse.connection import connect
from warehouse.contract import KINDS
from warehouse.settings import load_settings

D = dt.date.fromisoformat


class World:
    """Insert enterprises and their records with contract defaults; evaluate; read results."""

    def __init__(self, path: Path) -> None:
        self.con: duckdb.DuckDBPyConnection = connect(load_settings(path))
        self._seq = itertools.count(1)

    def _insert(self, kind_: str, **values: Any) -> None:
        kind = kind_
        cols = KINDS[kind].column_names
        unknown = set(values) - set(cols)
        assert not unknown, f"{kind} has no column(s) {unknown}"
        row = [values.get(c) for c in cols] + ["test-batch", next(self._seq)]
        marks = ", ".join("?" for _ in row)
        self.con.execute(f"INSERT INTO staging.{kind} VALUES ({marks})", row)

    def enterprise(
        self,
        code: str,
        etype: str = "importer_exporter",
        level: str = "regular",
        level_since: str | None = None,
        *,
        good_assessment: bool = True,
    ) -> str:
        self._insert(
            "enterprises",
            customs_code=code,
            uscc=f"91{code}AAAAAA",
            name=f"测试企业{code}",
            enterprise_type=etype,
            recorded_level=level,
            level_since=D(level_since) if level_since else None,
        )
        if good_assessment:
            self.assessment(code, "IC-1", "internal_control", "meets", "2021-01-01")
        return code

    def declarations(
        self, code: str, year: int, count: int, *, broker: str | None = None, day: str | None = None
    ) -> None:
        """`count` declarations of `code` (as consignee) in `year`, declared by `broker`."""
        start = next(self._seq) * 1_000_000
        when = D(day) if day else dt.date(year, 6, 1)
        self.con.execute(
            "INSERT INTO staging.declarations SELECT "
            "lpad(CAST(? + i AS VARCHAR), 18, '0'), ?, ?, ?, 'I', '4200', '0110', 'entry', "
            "100, 'released', 'test-batch', i FROM range(?) t(i)",
            [start, code, broker or code, when, count],
        )

    def case(
        self,
        code: str,
        decided: str | None,
        fine: float | None = None,
        *,
        case_type: str = "supervision_violation",
        status: str = "decided",
        penalty: str = "fine",
        opened: str = "2020-01-01",
        closed: str | None = None,
        judgment: str | None = None,
        vd: bool = False,
        intentional: str = "unknown",
    ) -> str:
        case_id = f"C{next(self._seq)}"
        self._insert(
            "cases",
            case_id=case_id,
            customs_code=code,
            case_type=case_type,
            status=status,
            opened_date=D(opened),
            decided_date=D(decided) if decided else None,
            closed_date=D(closed) if closed else None,
            judgment_effective_date=D(judgment) if judgment else None,
            penalty_kind=penalty,
            fine_cny=fine,
            voluntary_disclosure=vd,
            intentional=intentional,
        )
        return case_id

    def liability(
        self, code: str, kind: str, amount: float, due: str, paid: str | None = None
    ) -> None:
        self._insert(
            "liabilities",
            liability_id=f"L{next(self._seq)}",
            customs_code=code,
            kind=kind,
            amount_cny=amount,
            due_date=D(due),
            paid_date=D(paid) if paid else None,
        )

    def event(self, code: str, event_type: str, day: str) -> None:
        self._insert(
            "certification_events", customs_code=code, event_type=event_type, event_date=D(day)
        )

    def filing(self, code: str, due: str, filed: str | None, kind: str = "annual_report") -> None:
        self._insert(
            "filings",
            filing_id=f"F{next(self._seq)}",
            customs_code=code,
            kind=kind,
            due_date=D(due),
            filed_date=D(filed) if filed else None,
        )

    def assessment(
        self,
        code: str,
        item: str,
        module: str,
        result: str,
        day: str,
        department: str = "management",
    ) -> None:
        self._insert(
            "control_assessments",
            customs_code=code,
            item_code=item,
            module=module,
            department=department,
            result=result,
            assessed_date=D(day),
        )

    def financials(self, code: str, year: int, assets: float, liabilities: float) -> None:
        self._insert(
            "financials",
            customs_code=code,
            fiscal_year=year,
            total_assets=assets,
            total_liabilities=liabilities,
        )

    def change(self, entry_id: str, requested: str, error: bool = True) -> None:
        self._insert(
            "declaration_changes",
            change_id=f"X{next(self._seq)}",
            entry_id=entry_id,
            change_type="modify",
            initiator="enterprise",
            reason_code="R1",
            requested_date=D(requested),
            error_recorded=error,
        )

    # --- evaluation -----------------------------------------------------------------------
    def evaluate(self, as_of: str, **kw: Any):
        return evaluate(self.con, D(as_of), **kw)

    def snapshot(self, code: str, as_of: str) -> dict[str, Any]:
        self.evaluate(as_of)
        rel = self.con.sql(
            f"SELECT * FROM marts.eligibility_snapshot WHERE customs_code = '{code}' "
            f"AND as_of = DATE '{as_of}'"
        )
        rows = rel.fetchall()
        assert len(rows) == 1, rows
        return dict(zip(rel.columns, rows[0], strict=True))

    def rule(self, code: str, rule_id: str, as_of: str | None = None) -> dict[str, Any]:
        """One rule's result (evaluating first when as_of is given)."""
        if as_of:
            self.evaluate(as_of)
        day = f"DATE '{as_of}'" if as_of else "(SELECT max(as_of) FROM marts.rule_results)"
        rel = self.con.sql(
            "SELECT * FROM marts.rule_results WHERE customs_code = "
            f"'{code}' AND rule_id = '{rule_id}' AND as_of = {day}"
        )
        rows = rel.fetchall()
        assert len(rows) == 1, rows
        return dict(zip(rel.columns, rows[0], strict=True))

    def indicators(self, code: str, as_of: str) -> dict[str, Any]:
        rel = self.con.sql(
            f"SELECT * FROM marts.enterprise_indicators WHERE customs_code = '{code}' "
            f"AND as_of = DATE '{as_of}'"
        )
        return dict(zip(rel.columns, rel.fetchall()[0], strict=True))
