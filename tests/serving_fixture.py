"""A small warehouse with staging facts and marts across a few as_of dates, inserted directly.

Five enterprises whose evaluation changes between 2026-06-28 and 2026-06-30, so history and change
views have something to show:
- 4200000001 importer, dishonest by D3 all along: blockers A1 (to 2030-02-09) and A6 (to
  2027-06-15); warnings W1, W5, and W2 from 06-29.
- 4200000002 broker, an unpaid fine: regular with blocker A4 on 06-28, dishonest (D6) from 06-29
  with blockers A1 (no expiry) and A4.
- 4200000003 importer, certified: blockers A2 (to 2026-06-29) and A7 on 06-28, then A7 only.
- 4200000004 importer, regular: blocker A3 (open case) on 06-28, ready from 06-29.
- 4200000005 broker, advanced: ready all along, warning W3 (5-year review due).
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb

from warehouse.connection import connect
from warehouse.settings import Settings, load_settings

AS_OF_DATES = (date(2026, 6, 28), date(2026, 6, 29), date(2026, 6, 30))
RULE_IDS = tuple(
    [f"D{i}" for i in range(1, 9)] + [f"A{i}" for i in range(1, 8)] + [f"W{i}" for i in range(1, 6)]
)
BASIS = {
    "D1": "Order 251 Art. 22(1)",
    "D2": "Order 251 Art. 22(2)",
    "D3": "Order 251 Art. 22(3)",
    "D4": "Order 251 Art. 22(3)",
    "D5": "Order 251 Art. 22(4)",
    "D6": "Order 251 Art. 22(5)",
    "D7": "Order 251 Art. 22(6)(7)",
    "D8": "Order 251 Art. 23",
    "A1": "Order 251 Art. 22, Art. 12",
    "A2": "1-year bar after a failed certification",
    "A3": "Unresolved cases bar an upgrade",
    "A4": "No arrears",
    "A5": "GACC Ann. 2021 No. 88",
    "A6": "Certification standard (2018 values)",
    "A7": "Certification standard, scoring",
    "W1": "Order 251 Art. 22(3) headroom",
    "W2": "Declaration error rate",
    "W3": "5-year review (Order 251 Art. 16)",
    "W4": "Filings and annual reports",
    "W5": "Rulebook CN-282 provisional",
}

ENTERPRISES = [
    # customs_code, uscc, name, type, recorded_level, level_since
    (
        "4200000001",
        "91440300MA5F000001",
        "深圳海通电子有限公司",
        "importer_exporter",
        "regular",
        None,
    ),
    (
        "4200000002",
        "91330200MA2A000002",
        "宁波瑞达报关有限公司",
        "customs_broker",
        "regular",
        None,
    ),
    (
        "4200000003",
        "91320500MA1M000003",
        "苏州华美精密机械有限公司",
        "importer_exporter",
        "certified",
        date(2023, 3, 1),
    ),
    (
        "4200000004",
        "91310000MA1K000004",
        "上海联合食品进出口有限公司",
        "importer_exporter",
        "regular",
        None,
    ),
    (
        "4200000005",
        "91440101MA59000005",
        "广州远洋报关有限公司",
        "customs_broker",
        "advanced",
        date(2021, 10, 15),
    ),
]
CODES = tuple(e[0] for e in ENTERPRISES)


@dataclass(frozen=True)
class Finding:
    status: str
    expiry: date | None = None
    en: str = ""
    zh: str = ""
    value: str | None = None
    threshold: str | None = None
    last_breach: date | None = None


def _findings(code: str, as_of: date) -> dict[str, Finding]:
    """The non-pass findings of one enterprise at one as_of (everything else passes)."""
    day = as_of.day
    f: dict[str, Finding] = {
        "W5": Finding("warn", en="Rulebook CN-282 is provisional.", zh="CN-282规则集为暂行参数。")
    }
    if code == "4200000001":
        f["D3"] = Finding(
            "fail",
            en="3 counted penalties and CNY 1,050,000 of fines exceed 0.001 x 2,000 documents "
            "and CNY 1,000,000.",
            zh="1年内计入处罚3次、罚款1,050,000元，超过单证数2,000的千分之一且超过100万元。",
            value="n=3; F=1050000.00",
            threshold="n>2; F>1000000",
            last_breach=date(2027, 2, 9),
        )
        f["A1"] = Finding(
            "fail",
            date(2030, 2, 9),
            "Dishonest criterion D3 holds (projected last breach 2027-02-09): no application "
            "before 2030-02-09.",
            "符合失信标准D3（预计最后违规日2027-02-09），2030-02-09前不得申请高级认证。",
        )
        f["A6"] = Finding(
            "fail",
            date(2027, 6, 15),
            "Fines of CNY 1,050,000 in the last year exceed the certification limit of "
            "CNY 50,000; single fines above CNY 30,000.",
            "近1年罚款1,050,000元，超过认证标准5万元；单笔罚款超过3万元。",
            "F=1050000.00",
            "F<=50000",
        )
        f["W1"] = Finding("warn", en="Penalty headroom is thin.", zh="处罚余量不足。")
        if day >= 29:
            f["W2"] = Finding(
                "warn",
                en="Declaration error rate 3.4% exceeds 3%.",
                zh="报关差错率3.4%，超过3%。",
                value="0.034",
                threshold="0.03",
            )
    elif code == "4200000002":
        f["W4"] = Finding(
            "warn",
            en="Annual report F-1 due 2026-03-31 is not filed.",
            zh="年报F-1应于2026-03-31前报送，尚未报送。",
        )
        f["A4"] = Finding(
            "fail",
            None,
            "Fine liability L-2 of CNY 15,000 due 2025-12-28 is unpaid: pay it.",
            "罚款L-2共15,000元，缴款期限2025-12-28，尚未缴纳：请尽快缴纳。",
        )
        if day >= 29:
            f["D6"] = Finding(
                "fail",
                en="Unpaid fines of CNY 15,000 are more than 6 months overdue.",
                zh="罚没款15,000元逾期超过6个月未缴纳。",
                last_breach=as_of,
            )
            f["A1"] = Finding(
                "fail",
                None,
                "Dishonest criterion D6 holds while fine L-2 is unpaid: no expiry until paid.",
                "符合失信标准D6，罚款L-2未缴纳前无法到期。",
            )
    elif code == "4200000003":
        if day <= 28:
            f["A2"] = Finding(
                "fail",
                date(2026, 6, 29),
                "Certification failed on 2025-06-29: one-year bar until 2026-06-29.",
                "2025-06-29认证未通过，2026-06-29前不得再次申请。",
            )
        f["A7"] = Finding(
            "fail",
            None,
            "Self-assessment item FS-1 fails and TS-2 is pending (score 98): rectify and reassess.",
            "内控自评条目FS-1不达标、TS-2待评（得分98）：请整改后重新自评。",
            "score=98",
            "no fails; score>=95",
        )
    elif code == "4200000004":
        if day <= 28:
            f["A3"] = Finding(
                "fail",
                None,
                "Case C-4 opened 2026-03-01 is still open: resolve it with customs.",
                "案件C-4于2026-03-01立案，尚未结案：请配合海关尽快结案。",
            )
    elif code == "4200000005":
        f["W3"] = Finding(
            "warn",
            en="The 5-year review is due on 2026-10-15.",
            zh="5年复核日期为2026-10-15。",
        )
    return f


ASSESSED = {
    "4200000001": lambda d: "dishonest",
    "4200000002": lambda d: "dishonest" if d.day >= 29 else "regular",
    "4200000003": lambda d: "certified",
    "4200000004": lambda d: "regular",
    "4200000005": lambda d: "advanced",
}
EARLIEST = {
    "4200000001": lambda d, ready: date(2030, 2, 9),
    "4200000002": lambda d, ready: None,
    "4200000003": lambda d, ready: None,
    "4200000004": lambda d, ready: d if ready else None,
    "4200000005": lambda d, ready: d,
}
SCORES = {
    "4200000001": 99,
    "4200000002": 96,
    "4200000003": 98,
    "4200000004": 100,
    "4200000005": 100,
}


def insert_evaluation(con: duckdb.DuckDBPyConnection, as_of: date) -> None:
    """Write the marts of one as_of (replacing it), as the rule engine would, in one transaction.

    Dates after the fixture's last as_of repeat its state.
    """
    run_id = f"run-{as_of.isoformat()}"
    key = min(as_of, AS_OF_DATES[-1])
    types = {e[0]: e[3] for e in ENTERPRISES}
    recorded = {e[0]: e[4] for e in ENTERPRISES}
    snap, results, indicators = [], [], []
    for code in CODES:
        findings = _findings(code, key)
        blockers = sorted(r for r, fd in findings.items() if r[0] == "A" and fd.status == "fail")
        warnings = sorted(r for r, fd in findings.items() if fd.status == "warn")
        level = ASSESSED[code](key)
        ready = not blockers
        snap.append(
            (
                code,
                as_of,
                "CN-282",
                recorded[code],
                level,
                level.endswith("dishonest"),
                ready,
                blockers,
                warnings,
                EARLIEST[code](as_of, ready),
                SCORES[code],
                True,
                run_id,
                [f"batch-{code}"],
            )
        )
        for rule in RULE_IDS:
            fd = findings.get(rule, Finding("pass"))
            status = fd.status
            if (rule == "D3" and types[code] == "customs_broker") or (
                rule == "D4" and types[code] == "importer_exporter"
            ):
                status = "n_a"
            results.append(
                (
                    code,
                    as_of,
                    rule,
                    status,
                    fd.value,
                    fd.threshold,
                    fd.expiry,
                    BASIS[rule],
                    fd.en or f"{rule}: no finding.",
                    fd.zh or f"{rule}：未发现问题。",
                    fd.last_breach,
                    rule in ("D6", "A6", "A7", "W2"),
                    "CN-282",
                    run_id,
                )
            )
        indicators.append(_indicator_row(code, types[code], as_of, key, run_id))
    cur = con.cursor()
    cur.execute("BEGIN TRANSACTION")
    # Rendered rule results go where marts.rule_results (a view) reads pre-rendered rows from.
    for table in (
        "eligibility_snapshot",
        "rule_results_archive",
        "enterprise_indicators",
        "evaluations",
    ):
        cur.execute(f"DELETE FROM marts.{table} WHERE as_of = ?", [as_of])
    cur.executemany(f"INSERT INTO marts.eligibility_snapshot VALUES ({_q(14)})", snap)
    cur.executemany(f"INSERT INTO marts.rule_results_archive VALUES ({_q(14)})", results)
    first_columns = [
        d[0] for d in cur.execute("SELECT * FROM marts.enterprise_indicators LIMIT 0").description
    ][:27]
    cur.fetchall()
    cur.executemany(
        f"INSERT INTO marts.enterprise_indicators ({', '.join(first_columns)}) VALUES ({_q(27)})",
        indicators,
    )
    cur.execute(
        f"INSERT INTO marts.evaluations VALUES ({_q(8)})",
        [
            as_of,
            "CN-282",
            "0" * 64,
            True,
            run_id,
            len(CODES),
            datetime(as_of.year, as_of.month, as_of.day, 18, tzinfo=UTC),
            0.5,
        ],
    )
    cur.execute("COMMIT")
    cur.close()


def _q(n: int) -> str:
    return ", ".join(["?"] * n)


def _indicator_row(code: str, etype: str, as_of: date, key: date, run_id: str) -> tuple:
    broker = etype == "customs_broker"
    docs = {
        "4200000001": 2000,
        "4200000002": 5000,
        "4200000003": 1200,
        "4200000004": 800,
        "4200000005": 9000,
    }[code]
    n, fines, single = (3, 1_050_000, 400_000) if code == "4200000001" else (0, 0, None)
    ratio, amount = (0.0005, 300_000) if broker else (0.001, 1_000_000)
    count_limit = ratio * docs
    decls_w1 = docs
    errors = 68 if code == "4200000001" and key.day >= 29 else (20 if code == "4200000001" else 3)
    overdue_fines = 15_000 if code == "4200000002" and key.day >= 29 else 0
    arrears = 15_000 if code == "4200000002" else 0
    open_cases = 1 if code == "4200000004" and key.day <= 28 else 0
    fails = 1 if code == "4200000003" else 0
    basically = 2 if code == "4200000003" else 0
    return (
        code,
        as_of,
        etype,
        docs,
        n,
        fines,
        single,
        count_limit,
        amount,
        n / docs,
        count_limit - n,
        amount - fines,
        decls_w1,
        errors,
        errors / decls_w1,
        0,
        overdue_fines,
        arrears,
        open_cases,
        SCORES[code],
        basically,
        fails,
        2 if SCORES[code] else 0,
        1 if code == "4200000001" else 0,
        basically,
        date(2026, 5, 1),
        run_id,
    )


def _entry_id(seq: int, ie: str) -> str:
    return f"5300{2025 + seq % 2}{'1' if ie == 'I' else '0'}{seq:09d}"


def insert_staging(con: duckdb.DuckDBPyConnection) -> None:
    """Drill-down facts: enterprises, cases, liabilities, events, filings, assessments, ..."""
    b = "batch-fixture"
    con.executemany(
        "INSERT INTO staging.enterprises VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [(*e, b, i + 1) for i, e in enumerate(ENTERPRISES)],
    )
    decls, changes, seq = [], [], 0
    start = date(2025, 1, 5)
    for code, _, _, etype, _, _ in ENTERPRISES:
        for k in range(18):  # about one a month from 2025-01 to 2026-06
            seq += 1
            ie = "I" if k % 3 else "E"
            d = start + timedelta(days=30 * k + seq % 7)
            consignee, declarant = (
                ("4200000099", code) if etype == "customs_broker" else (code, code)
            )
            decls.append(
                (
                    _entry_id(seq, ie),
                    consignee,
                    declarant,
                    d,
                    ie,
                    "5300",
                    "0110",
                    "entry" if k % 5 else "filing_list",
                    10000 + 100 * k,
                    "cancelled" if k == 7 else "released",
                    b,
                    seq,
                )
            )
            if k % 6 == 0 or (code == "4200000001" and k >= 15):
                changes.append(
                    (
                        f"CH-{seq}",
                        _entry_id(seq, ie),
                        "modify",
                        "enterprise",
                        "R01",
                        d + timedelta(days=2),
                        True,
                        None,
                        b,
                        seq,
                    )
                )
    con.executemany(f"INSERT INTO staging.declarations VALUES ({_q(12)})", decls)
    con.executemany(f"INSERT INTO staging.declaration_changes VALUES ({_q(10)})", changes)
    con.executemany(
        f"INSERT INTO staging.cases VALUES ({_q(14)})",
        [
            (
                "C-1",
                "4200000001",
                "supervision_violation",
                "decided",
                date(2025, 11, 1),
                date(2026, 2, 10),
                None,
                None,
                "fine",
                400000,
                False,
                "yes",
                b,
                1,
            ),
            (
                "C-2",
                "4200000001",
                "tax_violation",
                "decided",
                date(2026, 1, 5),
                date(2026, 4, 1),
                None,
                None,
                "fine",
                300000,
                False,
                "unknown",
                b,
                2,
            ),
            (
                "C-3",
                "4200000001",
                "supervision_violation",
                "closed",
                date(2026, 3, 2),
                date(2026, 6, 15),
                date(2026, 6, 20),
                None,
                "fine",
                350000,
                False,
                "yes",
                b,
                3,
            ),
            (
                "C-4",
                "4200000004",
                "supervision_violation",
                "closed",
                date(2026, 3, 1),
                date(2026, 6, 29),
                date(2026, 6, 29),
                None,
                "warning",
                None,
                True,
                "no",
                b,
                4,
            ),
        ],
    )
    con.executemany(
        f"INSERT INTO staging.liabilities VALUES ({_q(8)})",
        [
            ("L-1", "4200000001", "duty", 52000, date(2026, 1, 15), date(2026, 1, 10), b, 1),
            ("L-2", "4200000002", "fine", 15000, date(2025, 12, 28), None, b, 2),
        ],
    )
    con.executemany(
        f"INSERT INTO staging.certification_events VALUES ({_q(5)})",
        [
            ("4200000003", "certified", date(2023, 3, 1), b, 1),
            ("4200000003", "certification_failed", date(2025, 6, 29), b, 2),
            ("4200000005", "certified", date(2021, 10, 15), b, 3),
        ],
    )
    # Annual reports filed on time, except 4200000002's, which is overdue and unfiled (W4).
    filings = [
        (
            f"F-{i}",
            code,
            "annual_report",
            date(2026, 6, 30),
            None if code == "4200000002" else date(2026, 6, 20),
            b,
            i + 1,
        )
        for i, code in enumerate(CODES)
    ]
    filings[1] = ("F-1", "4200000002", "annual_report", date(2026, 3, 31), None, b, 2)
    con.executemany(f"INSERT INTO staging.filings VALUES ({_q(7)})", filings)
    con.executemany(f"INSERT INTO staging.control_assessments VALUES ({_q(9)})", _assessments(b))
    con.executemany(
        f"INSERT INTO staging.financials VALUES ({_q(6)})",
        [
            (code, year, 10_000_000 + 1_000_000 * i, 4_000_000 + 100_000 * (year - 2020), b, i)
            for i, code in enumerate(CODES)
            for year in (2023, 2024, 2025)
            if not (code == "4200000004" and year == 2023)
        ],
    )


ITEMS = (
    ("IC-1", "internal_control", "management"),
    ("IC-2", "internal_control", "customs_affairs"),
    ("IC-3", "internal_control", "internal_audit"),
    ("FS-1", "financial", "finance"),
    ("CP-1", "compliance", "customs_affairs"),
    ("TS-1", "trade_security", "security"),
    ("TS-2", "trade_security", "logistics"),
    ("TS-3", "trade_security", "it"),
    ("AD-1", "additional", "management"),
    ("AD-2", "additional", "it"),
)


def _assessments(batch: str) -> list[tuple]:
    rows = []
    for code in CODES:
        for item, module, dept in ITEMS:
            result = "meets"
            if code == "4200000003":
                result = {
                    "IC-1": "basically_meets",
                    "IC-2": "basically_meets",
                    "FS-1": "fails",
                }.get(item, "meets")
            if code == "4200000001" and item == "TS-2":
                result = "basically_meets"
            if code == "4200000003" and item == "TS-2":
                result = "pending"
            if code == "4200000002" and item in ("IC-3", "TS-3"):
                result = "basically_meets"
            evidence = None if result in ("fails", "pending") else f"DOC-{code[-2:]}-{item}"
            rows.append(
                (code, item, module, dept, result, date(2026, 5, 1), evidence, batch, len(rows) + 1)
            )
            # An older assessment that the latest one supersedes.
            rows.append(
                (code, item, module, dept, "fails", date(2025, 5, 1), None, batch, len(rows) + 1)
            )
    return rows


def build_warehouse(con: duckdb.DuckDBPyConnection) -> None:
    """Staging facts and three evaluations; `con` is a writer from warehouse.connection.connect."""
    insert_staging(con)
    for as_of in AS_OF_DATES:
        insert_evaluation(con, as_of)


_template: Path | None = None


def make_settings(dest_dir: Path) -> Settings:
    """Settings for a fresh copy of the fixture warehouse under dest_dir (built once per session:
    row-by-row inserts cost seconds on a busy machine)."""
    global _template
    if _template is None or not _template.exists():
        template_dir = Path(tempfile.mkdtemp(prefix="serving-fixture-"))
        settings = load_settings(template_dir / "credit.duckdb")
        con = connect(settings)
        build_warehouse(con)
        con.close()
        _template = settings.warehouse
    settings = load_settings(dest_dir / "credit.duckdb")
    dest_dir.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(_template, settings.warehouse)
    return settings
