"""Render the readiness report and the portfolio page to self-contained HTML (jinja2 templates)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from reports import labels as L
from reports import svg
from reports.checklist import build_checklist
from reports.data import EnterpriseData, PortfolioData, Row

TEMPLATES = Path(__file__).parent / "templates"
LEVEL_COLOURS = {
    "advanced": svg.GREEN,
    "certified": svg.BLUE,
    "regular": svg.GREY,
    "dishonest": svg.AMBER,
    "seriously_dishonest": svg.RED,
}


def _env() -> Any:
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters["money"] = _money
    env.filters["num"] = lambda v: "—" if v is None else f"{v:,}"
    env.filters["d"] = lambda v: "—" if v is None else str(v)
    env.globals.update(L=L, zh=L.zh, en=L.en)
    return env


def _money(value: Any) -> str:
    return "—" if value is None else f"{float(value):,.2f}"


def _finding_view(f: Row) -> dict[str, Any]:
    zh_t, en_t = L.RULES.get(f["rule_id"], (f["rule_id"], f["rule_id"]))
    advice = L.ADVICE.get(f["rule_id"]) if f["is_blocker"] else None
    return {**f, "title_zh": zh_t, "title_en": en_t, "advice": advice}


def _headroom_bars(data: EnterpriseData) -> list[svg.Bar]:
    ind = data.indicators
    if ind is None:
        return []
    by_rule = {f["rule_id"]: f["status"] for f in data.findings}
    dishonest = by_rule.get("D3") == "fail" or by_rule.get("D4") == "fail"
    thin = by_rule.get("W1") == "warn"
    n, f = float(ind["counted_penalties"]), float(ind["counted_fines_cny"])
    c_lim = ind["dishonest_count_limit"]
    a_lim = (
        float(ind["dishonest_amount_limit"]) if ind["dishonest_amount_limit"] is not None else None
    )

    def state(value: float, limit: float | None) -> str:
        if dishonest or (limit is not None and value > limit):
            return "over"
        return "warn" if thin else "ok"

    docs = ind["docs_py"]
    count_label = f"处罚次数 n（单证{docs:,}）"
    return [
        svg.Bar(
            count_label,
            n,
            c_lim if docs else None,
            state(n, c_lim if docs else None),
            f"{int(n)}",
            f"{c_lim:,.1f}" if c_lim is not None else "—",
        ),
        svg.Bar(
            "罚款金额 F (CNY)",
            f,
            a_lim,
            state(f, a_lim),
            f"{f:,.0f}",
            f"{a_lim:,.0f}" if a_lim is not None else "—",
        ),
    ]


def _assessment_matrix(assessments: list[Row]) -> dict[str, Any]:
    modules = [m for m in L.MODULES if any(a["module"] == m for a in assessments)]
    depts = [d for d in L.DEPARTMENTS if any(a["department"] == d for a in assessments)]
    cells: dict[tuple[str, str], dict[str, int]] = {}
    for a in assessments:
        cell = cells.setdefault((a["module"], a["department"]), {})
        cell[a["result"]] = cell.get(a["result"], 0) + 1
    to_fix = [a for a in assessments if a["result"] in ("fails", "pending", "basically_meets")]
    order = {"fails": 0, "pending": 1, "basically_meets": 2}
    to_fix.sort(key=lambda a: (order[a["result"]], a["module"], a["item_code"]))
    return {"modules": modules, "departments": depts, "cells": cells, "to_fix": to_fix}


def render_enterprise(data: EnterpriseData, source: str) -> str:
    snap = data.snapshot
    blockers = [_finding_view(f) for f in data.blockers]
    timeline = svg.timeline(
        data.as_of,
        [svg.TimelineItem(f"{b['rule_id']} {b['title_zh']}", b["expiry_date"]) for b in blockers],
        snap["earliest_application_date"],
        "阻碍事项到期时间线 / When blockers expire",
    )
    headroom = _headroom_bars(data)
    errors = svg.columns(
        [
            svg.Column(
                q["quarter_label"], q["error_rate"], f"{q['error_changes']}/{q['declarations']}"
            )
            for q in data.error_quarters
        ],
        data.error_rate_limit,
        "报关差错率（按季度）/ Declaration error rate by quarter",
    )
    context = {
        "d": data,
        "ent": data.enterprise,
        "snap": snap,
        "blockers": blockers,
        "warnings": [_finding_view(f) for f in data.warnings],
        "dishonest_rules": [
            _finding_view(f)
            for f in data.findings
            if f["rule_id"][0] == "D" and f["status"] == "fail"
        ],
        "timeline_svg": timeline,
        "headroom_svg": svg.headroom(headroom, "处罚余量 / Penalty headroom") if headroom else "",
        "errors_svg": errors if data.error_quarters else "",
        "matrix": _assessment_matrix(data.assessments),
        "checklist": build_checklist(data),
        "source": source,
        "generated_at": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }
    return _env().get_template("enterprise.html.j2").render(**context)


def render_portfolio(data: PortfolioData, source: str) -> str:
    counts = {r["assessed_level"]: r for r in data.level_counts}
    bars = [
        (
            f"{L.zh(L.LEVELS, lvl)} {L.en(L.LEVELS, lvl)}",
            counts[lvl]["n"],
            counts[lvl]["ready"],
            LEVEL_COLOURS.get(lvl, svg.GREY),
        )
        for lvl in L.LEVELS
        if lvl in counts
    ]
    apply_now = sorted(
        (s for s in data.snapshot if s["advanced_ready"] and s["recorded_level"] != "advanced"),
        key=lambda s: (-(s["score"] or 0), s["customs_code"]),
    )
    soon = [
        s
        for s in data.snapshot
        if not s["advanced_ready"]
        and s["earliest_application_date"] is not None
        and (s["earliest_application_date"] - data.as_of).days <= 180
    ]
    context = {
        "p": data,
        "total": len(data.snapshot),
        "ready_total": sum(1 for s in data.snapshot if s["advanced_ready"]),
        "dishonest_total": sum(1 for s in data.snapshot if s["dishonest"]),
        "levels_svg": svg.level_bars(bars, "按等级统计 / Enterprises by level"),
        "apply_now": apply_now,
        "soon": soon,
        "top_blockers": data.top_blockers,
        "changes": data.changes,
        "table": data.snapshot[:500],
        "evaluation": data.evaluations[0] if data.evaluations else None,
        "source": source,
        "generated_at": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }
    return _env().get_template("portfolio.html.j2").render(**context)


def write_html(html: str, out_dir: Path, name: str) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / name
    tmp = path.with_name(f".{name}.tmp")
    tmp.write_text(html, encoding="utf-8")
    tmp.replace(path)
    return path


def report_name(customs_code: str, as_of: date) -> str:
    return f"readiness-{customs_code}-{as_of}.html"


def portfolio_name(as_of: date) -> str:
    return f"portfolio-{as_of}.html"
