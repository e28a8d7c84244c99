"""The evidence checklist for an advanced-certification application, with status from data.

Items follow the seed guidance (application form, internal-control system, self-assessment,
financial statements, departmental records) plus what the blockers ask for (payment receipts,
case closure, filings). Status: ready / gap, or manual where no data can tell.
"""

from __future__ import annotations

from dataclasses import dataclass

from reports.data import EnterpriseData, Row
from reports.labels import DEPARTMENTS

TO_FIX = ("fails", "pending", "basically_meets")


@dataclass(frozen=True)
class ChecklistItem:
    zh: str
    en: str
    status: str  # ready | gap | manual
    note_zh: str
    note_en: str


def _finding(data: EnterpriseData, rule_id: str) -> Row | None:
    return next((f for f in data.findings if f["rule_id"] == rule_id), None)


def _items_ok(items: list[Row]) -> tuple[bool, list[str]]:
    """Items are evidenced when none is to fix and each has an evidence reference."""
    gaps = [
        i["item_code"]
        for i in items
        if i["result"] in ("fails", "pending")
        or (i["result"] != "not_applicable" and not i["evidence_ref"])
    ]
    return not gaps, gaps


def build_checklist(data: EnterpriseData) -> list[ChecklistItem]:
    snap = data.snapshot
    out: list[ChecklistItem] = []

    if snap["advanced_ready"]:
        note = ("无阻碍事项，可立即准备并提交。", "No blockers: prepare and submit now.")
    elif snap["earliest_application_date"]:
        d = snap["earliest_application_date"]
        note = (f"最早可于{d}申请。", f"Earliest application date: {d}.")
    else:
        note = ("须先消除无到期日的阻碍事项。", "Clear the blockers that have no expiry first.")
    out.append(
        ChecklistItem(
            "高级认证企业申请书", "Advanced certification application form", "manual", *note
        )
    )

    by_module: dict[str, list[Row]] = {}
    for a in data.assessments:
        by_module.setdefault(a["module"], []).append(a)
    for module, zh_name, en_name in (
        ("internal_control", "内部控制制度文件", "Internal-control system documents"),
        ("trade_security", "贸易（货物）安全管理制度", "Trade and cargo security procedures"),
    ):
        items = by_module.get(module, [])
        if not items:
            out.append(
                ChecklistItem(zh_name, en_name, "gap", "无自评记录。", "No assessment on record.")
            )
            continue
        ok, gaps = _items_ok(items)
        out.append(
            ChecklistItem(
                zh_name,
                en_name,
                "ready" if ok else "gap",
                f"{len(items)}项已有证明材料。" if ok else f"需补充或整改：{', '.join(gaps)}",
                f"{len(items)} items evidenced."
                if ok
                else f"To fix or evidence: {', '.join(gaps)}",
            )
        )

    a7 = _finding(data, "A7")
    latest = max((a["assessed_date"] for a in data.assessments), default=None)
    if latest is None:
        out.append(
            ChecklistItem(
                "内控自评报告",
                "Self-assessment report",
                "gap",
                "无自评记录：请开展全面自评。",
                "No self-assessment on record: carry one out.",
            )
        )
    else:
        passed = a7 is not None and a7["status"] == "pass"
        score = snap["score"] if snap["score"] is not None else "—"
        out.append(
            ChecklistItem(
                "内控自评报告",
                "Self-assessment report",
                "ready" if passed else "gap",
                f"最近自评{latest}，得分{score}。" + ("" if passed else "自评未达标。"),
                f"Latest assessment {latest}, score {score}."
                + ("" if passed else " The assessment does not pass yet."),
            )
        )

    years = {f["fiscal_year"] for f in data.financials}
    wanted = [data.as_of.year - 3, data.as_of.year - 2, data.as_of.year - 1]
    missing = [y for y in wanted if y not in years]
    out.append(
        ChecklistItem(
            "近3年财务报表",
            "Financial statements, last 3 fiscal years",
            "gap" if missing else "ready",
            f"缺少：{', '.join(map(str, missing))}"
            if missing
            else f"{wanted[0]}-{wanted[-1]}已备。",
            f"Missing: {', '.join(map(str, missing))}"
            if missing
            else f"{wanted[0]}-{wanted[-1]} on record.",
        )
    )

    by_dept: dict[str, list[Row]] = {}
    for a in data.assessments:
        by_dept.setdefault(a["department"], []).append(a)
    if not by_dept:
        out.append(
            ChecklistItem(
                "各部门记录（管理层、内审、财务、安全、关务等）",
                "Records of each department (management, internal audit, finance, security, ...)",
                "gap",
                "无自评记录，无法确认各部门证明材料。",
                "No assessment on record: departmental evidence cannot be checked.",
            )
        )
    for dept in DEPARTMENTS:
        items = by_dept.get(dept)
        if not items:
            continue
        ok, gaps = _items_ok(items)
        zh_d, en_d = DEPARTMENTS[dept]
        out.append(
            ChecklistItem(
                f"{zh_d}记录",
                f"{en_d} records",
                "ready" if ok else "gap",
                "；".join(i["evidence_ref"] or "" for i in items if i["evidence_ref"])
                if ok
                else f"需补充：{', '.join(gaps)}",
                "; ".join(i["evidence_ref"] or "" for i in items if i["evidence_ref"])
                if ok
                else f"Missing for: {', '.join(gaps)}",
            )
        )

    unpaid = sum(float(u["amount_cny"]) for u in data.unpaid)
    case_ids = ", ".join(c["case_id"] for c in data.open_cases)
    filing_ids = ", ".join(f["filing_id"] for f in data.overdue_filings)
    out += [
        _gap_or_ready(
            ("税费及罚没款缴清凭证", "Receipts: duties, taxes and fines paid"),
            bool(data.unpaid),
            (f"{len(data.unpaid)}笔逾期未缴，共{unpaid:,.2f}元。", "无逾期欠款。"),
            (f"{len(data.unpaid)} overdue, CNY {unpaid:,.2f}.", "No arrears."),
        ),
        _gap_or_ready(
            ("案件结案材料", "Case closure documents"),
            bool(data.open_cases),
            (f"未结案件：{case_ids}", "无未结案件。"),
            (f"Open cases: {case_ids}", "No open case."),
        ),
        _gap_or_ready(
            ("年报及备案记录", "Annual reports and filings"),
            bool(data.overdue_filings),
            (f"逾期未报：{filing_ids}", "均已按时报送。"),
            (f"Overdue: {filing_ids}", "All filed."),
        ),
    ]
    w2 = _finding(data, "W2")
    high = w2 is not None and w2["status"] == "warn"
    out.append(
        ChecklistItem(
            "报关差错自查记录",
            "Declaration self-check records",
            "gap" if high else "manual",
            "差错率超限：请自查整改并留存记录。" if high else "差错率未超限；请留存自查记录。",
            "Error rate above the limit: self-check, fix and keep records."
            if high
            else "Error rate within the limit; keep the self-check records.",
        )
    )
    if data.voluntary_disclosures:
        n = data.voluntary_disclosures
        out.append(
            ChecklistItem(
                "主动披露材料",
                "Voluntary disclosure records",
                "manual",
                f"{n}宗主动披露案件：备齐相关材料。",
                f"{n} voluntarily disclosed case(s): keep the files.",
            )
        )
    return out


def _gap_or_ready(
    titles: tuple[str, str], gap: bool, zh: tuple[str, str], en: tuple[str, str]
) -> ChecklistItem:
    """An item that is a gap or ready; zh and en give the (gap, ready) texts."""
    return ChecklistItem(
        titles[0],
        titles[1],
        "gap" if gap else "ready",
        zh[0] if gap else zh[1],
        en[0] if gap else en[1],
    )
