"""Bilingual (Chinese / English) labels for codes the marts use. Words only, no thresholds: the
numbers are the rulebook's (a user's copy may change them), and the findings quote them."""

from __future__ import annotations

LEVELS: dict[str, tuple[str, str]] = {
    "advanced": ("高级认证企业", "Advanced certified enterprise (AEO)"),
    "certified": ("认证企业", "Certified enterprise"),
    "regular": ("常规企业", "Regular enterprise"),
    "dishonest": ("失信企业", "Dishonest enterprise"),
    "seriously_dishonest": ("严重失信主体", "Seriously dishonest"),
}

ENTERPRISE_TYPES: dict[str, tuple[str, str]] = {
    "importer_exporter": ("进出口货物收发货人", "Importer / exporter"),
    "customs_broker": ("报关企业", "Customs broker"),
}

RULES: dict[str, tuple[str, str]] = {
    "D1": ("走私犯罪", "Smuggling crime"),
    "D2": ("走私行为被处罚", "Smuggling act penalised"),
    "D3": ("违规处罚超比例及金额（收发货人）", "Penalties beyond ratio and amount (importer)"),
    "D4": ("违规处罚超比例及金额（报关企业）", "Penalties beyond ratio and amount (broker)"),
    "D5": ("税款逾期未缴超限", "Duties unpaid beyond the overdue limit"),
    "D6": ("罚没款逾期未缴超限", "Fines unpaid beyond the overdue limit"),
    "D7": ("抗拒执法或行贿", "Obstruction or bribery"),
    "D8": ("严重危害安全犯罪或走私固体废物", "Serious safety crime or solid-waste import"),
    "A1": ("审查期内存在失信记录", "Dishonest record in the lookback"),
    "A2": (
        "认证失败、撤回、放弃或降级后的限制期",
        "Bar after a failed, withdrawn, renounced or downgraded certification",
    ),
    "A3": ("存在未结案件", "Open case"),
    "A4": ("存在欠缴税费或罚没款", "Arrears of duties, taxes or fines"),
    "A5": ("资产负债率连年超限", "Debt ratio above the limit every year"),
    "A6": ("处罚超过认证标准限值", "Penalties beyond certification limits"),
    "A7": ("内控自评未达标", "Self-assessment below standard"),
    "W1": ("处罚余量不足", "Thin penalty headroom"),
    "W2": ("报关差错率超限", "Declaration error rate above limit"),
    "W3": ("高级认证复核临近", "Certification review due"),
    "W4": ("年报或备案逾期", "Late or missing filings"),
    "W5": ("规则集为暂行参数", "Provisional rulebook"),
}

# What an enterprise can do about each blocker, after the seed guidance on raising a level.
ADVICE: dict[str, tuple[str, str]] = {
    "A1": (
        "消除失信原因（缴清款项、了结案件）后申请信用修复；到期日前不得申请高级认证。",
        "Remove the cause (pay, resolve the case), then apply for credit repair; no "
        "application before the expiry date.",
    ),
    "A2": (
        "等待限制期届满，期间整改上次认证未通过的原因。",
        "Wait out the bar and use it to fix what failed last time.",
    ),
    "A3": (
        "积极配合调查，争取认错认罚，加快结案：存在未结案件不得申请更高等级。",
        "Cooperate with the investigation, consider admitting and accepting the penalty, "
        "and push for a quick resolution: an open case bars an application.",
    ),
    "A4": (
        "缴清欠缴的税费及罚没款，保存缴款凭证。",
        "Pay the outstanding duties, taxes and fines and keep the receipts.",
    ),
    "A5": (
        "改善资产负债结构，准备经审计的财务报表。",
        "Improve the balance sheet and prepare audited financial statements.",
    ),
    "A6": (
        "等待处罚移出1年期；申报前自查，对既往违规主动披露以免立案处罚。",
        "Wait for the penalties to leave the one-year window; self-check before declaring "
        "and disclose past violations voluntarily to avoid new cases.",
    ),
    "A7": (
        "由责任部门整改不达标及待评条目，并重新开展内控自评。",
        "Have the responsible departments fix failing and pending items, then reassess.",
    ),
}

MODULES: dict[str, tuple[str, str]] = {
    "internal_control": ("内部控制", "Internal control"),
    "financial": ("财务状况", "Financial status"),
    "compliance": ("守法规范", "Compliance"),
    "trade_security": ("贸易安全", "Trade security"),
    "additional": ("附加标准", "Additional (bonus)"),
}

DEPARTMENTS: dict[str, tuple[str, str]] = {
    "management": ("管理层", "Management"),
    "internal_audit": ("内审部门", "Internal audit"),
    "finance": ("财务部门", "Finance"),
    "security": ("安全部门", "Security"),
    "customs_affairs": ("关务部门", "Customs affairs"),
    "logistics": ("物流部门", "Logistics"),
    "it": ("信息技术部门", "IT"),
}

RESULTS: dict[str, tuple[str, str]] = {
    "meets": ("达标", "Meets"),
    "basically_meets": ("基本达标", "Basically meets"),
    "fails": ("不达标", "Fails"),
    "pending": ("待评", "Pending"),
    "not_applicable": ("不适用", "Not applicable"),
}

STATUSES: dict[str, tuple[str, str]] = {
    "pass": ("通过", "Pass"),
    "fail": ("不通过", "Fail"),
    "warn": ("提示", "Warning"),
    "n_a": ("不适用", "N/A"),
    "ready": ("已具备", "Ready"),
    "gap": ("需补充", "Gap"),
    "manual": ("需人工确认", "Check by hand"),
}


def zh(table: dict[str, tuple[str, str]], key: str | None) -> str:
    return table.get(key or "", (key or "", key or ""))[0]


def en(table: dict[str, tuple[str, str]], key: str | None) -> str:
    return table.get(key or "", (key or "", key or ""))[1]
