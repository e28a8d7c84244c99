"""The input data contract (../shared/domain/data-contract.md) as data.

One source of truth for the readers, the pandera contracts, the GX suites, the staging DDL and the
sample-data generator. Nothing here imports anything heavy.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# Logical column types. The DuckDB type each is stored as is in DUCKDB_TYPES.
CODE10 = "code10"  # 10 digits or capital letters
TEXT18 = "text18"  # unified social credit code
DIGITS18 = "digits18"  # entry_id
DIGITS4 = "digits4"
TEXT = "text"
ENUM = "enum"
DATE = "date"
MONEY = "money"  # CNY, at most 2 decimals
BOOL = "bool"
INT = "int"

DUCKDB_TYPES: dict[str, str] = {
    CODE10: "VARCHAR",
    TEXT18: "VARCHAR",
    DIGITS18: "VARCHAR",
    DIGITS4: "VARCHAR",
    TEXT: "VARCHAR",
    ENUM: "VARCHAR",
    DATE: "DATE",
    MONEY: "DECIMAL(18,2)",
    BOOL: "BOOLEAN",
    INT: "INTEGER",
}

# Regular expressions (full match) for the code-like types.
PATTERNS: dict[str, str] = {
    CODE10: r"[0-9A-Z]{10}",
    TEXT18: r"[0-9A-Z]{18}",
    DIGITS18: r"[0-9]{18}",
    DIGITS4: r"[0-9]{4}",
}

TRUE_WORDS = ("true", "1", "y", "yes", "是", "t")
FALSE_WORDS = ("false", "0", "n", "no", "否", "f")
DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y%m%d")


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    required: bool = True
    alias_zh: str | None = None
    values: tuple[str, ...] = ()  # allowed values of an ENUM
    default: str | None = None  # default of an optional column when missing or empty
    min_value: float | None = None  # inclusive lower bound (MONEY / INT)
    min_exclusive: bool = False  # True: value must be > min_value

    @property
    def duckdb_type(self) -> str:
        return DUCKDB_TYPES[self.type]


_UNIQUE_NOTE = re.compile(r"^(\w+) is unique$")


@dataclass(frozen=True)
class Kind:
    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]  # unique within a file; the merge key in staging
    alias_zh: str = ""
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def unique_columns(self) -> list[str]:
        """Columns unique besides the key, across the warehouse: the contract states them as notes
        ("uscc is unique")."""
        names = [m.group(1) for note in self.notes if (m := _UNIQUE_NOTE.match(note))]
        for name in names:
            self.column(name)  # KeyError on a note naming no column
        return [n for n in names if (n,) != self.key]

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)


def _c(name: str, type_: str, **kw: object) -> Column:
    return Column(name, type_, **kw)  # type: ignore[arg-type]


LEVELS = ("advanced", "certified", "regular", "dishonest", "seriously_dishonest")
ENTERPRISE_TYPES = ("importer_exporter", "customs_broker")

KINDS: dict[str, Kind] = {
    k.name: k
    for k in (
        Kind(
            "enterprises",
            (
                _c("customs_code", CODE10, alias_zh="海关编码"),
                _c("uscc", TEXT18, alias_zh="统一社会信用代码"),
                _c("name", TEXT, alias_zh="企业名称"),
                _c("enterprise_type", ENUM, alias_zh="企业类型", values=ENTERPRISE_TYPES),
                _c("recorded_level", ENUM, alias_zh="信用等级", values=LEVELS),
                _c("level_since", DATE, required=False, alias_zh="认定日期"),
            ),
            key=("customs_code",),
            alias_zh="企业",
            notes=("uscc is unique",),
        ),
        Kind(
            "declarations",
            (
                _c("entry_id", DIGITS18, alias_zh="报关单号"),
                _c("consignee_code", CODE10, alias_zh="收发货人"),
                _c("declarant_code", CODE10, alias_zh="申报单位"),
                _c("declare_date", DATE, alias_zh="申报日期"),
                _c("ie_flag", ENUM, alias_zh="进出口标志", values=("I", "E")),
                _c("customs_district", DIGITS4, alias_zh="申报地海关"),
                _c("trade_mode", DIGITS4, alias_zh="监管方式"),
                _c(
                    "doc_kind",
                    ENUM,
                    required=False,
                    alias_zh="单证类型",
                    values=("entry", "filing_list", "manifest"),
                    default="entry",
                ),
                _c("value_cny", MONEY, alias_zh="申报总价人民币", min_value=0),
                _c("status", ENUM, alias_zh="状态", values=("accepted", "released", "cancelled")),
            ),
            key=("entry_id",),
            alias_zh="报关单",
            notes=(
                "declare_date is not after the load date",
                "ie_flag agrees with digit 9 of entry_id (1 import, 0 export)",
            ),
        ),
        Kind(
            "declaration_changes",
            (
                _c("change_id", TEXT),
                _c("entry_id", DIGITS18),
                _c("change_type", ENUM, values=("modify", "cancel")),
                _c("initiator", ENUM, values=("enterprise", "customs")),
                _c("reason_code", TEXT),
                _c("requested_date", DATE),
                _c("error_recorded", BOOL, alias_zh="记录报关差错"),
                _c("tax_impact_cny", MONEY, required=False),
            ),
            key=("change_id",),
            alias_zh="报关单修改撤销",
            notes=(
                "an orphan entry_id is loaded with a warning",
                "requested_date is not before the declaration's declare_date",
            ),
        ),
        Kind(
            "cases",
            (
                _c("case_id", TEXT, alias_zh="案件编号"),
                _c("customs_code", CODE10),
                _c(
                    "case_type",
                    ENUM,
                    values=(
                        "smuggling_crime",
                        "smuggling_act",
                        "supervision_violation",
                        "tax_violation",
                        "obstruction",
                        "bribery",
                        "serious_safety_crime",
                        "solid_waste_import",
                    ),
                ),
                _c("status", ENUM, values=("investigating", "decided", "closed", "revoked")),
                _c("opened_date", DATE, alias_zh="立案日期"),
                # Required unless investigating: enforced as a row rule, not a column rule.
                _c("decided_date", DATE, required=False, alias_zh="处罚决定日期"),
                _c("closed_date", DATE, required=False, alias_zh="结案日期"),
                _c("judgment_effective_date", DATE, required=False, alias_zh="判决生效日期"),
                _c(
                    "penalty_kind",
                    ENUM,
                    required=False,
                    values=("none", "warning", "fine", "confiscation"),
                ),
                _c("fine_cny", MONEY, required=False, alias_zh="罚款金额", min_value=0),
                _c(
                    "voluntary_disclosure",
                    BOOL,
                    required=False,
                    alias_zh="主动披露",
                    default="false",
                ),
                _c(
                    "intentional",
                    ENUM,
                    required=False,
                    alias_zh="主观故意",
                    values=("yes", "no", "unknown"),
                    default="unknown",
                ),
            ),
            key=("case_id",),
            alias_zh="案件",
            notes=(
                "decided_date and penalty_kind are required unless status is investigating",
                "decided_date and closed_date are not before opened_date",
                "fine_cny is required when penalty_kind is fine",
            ),
        ),
        Kind(
            "liabilities",
            (
                _c("liability_id", TEXT),
                _c("customs_code", CODE10),
                _c(
                    "kind",
                    ENUM,
                    values=("duty", "vat", "consumption_tax", "late_fee", "fine", "confiscation"),
                ),
                _c("amount_cny", MONEY, min_value=0, min_exclusive=True),
                _c("due_date", DATE, alias_zh="缴款期限"),
                _c("paid_date", DATE, required=False, alias_zh="缴款日期"),
            ),
            key=("liability_id",),
            alias_zh="税费及罚没款",
        ),
        Kind(
            "certification_events",
            (
                _c("customs_code", CODE10),
                _c(
                    "event_type",
                    ENUM,
                    values=(
                        "applied",
                        "certified",
                        "certification_failed",
                        "review_passed",
                        "review_failed",
                        "renounced",
                        "application_withdrawn",
                        "downgraded",
                        "upgraded_from_dishonest",
                    ),
                ),
                _c("event_date", DATE),
            ),
            # No key in the contract: an event is its whole row, so a repeat is a no-op.
            key=("customs_code", "event_type", "event_date"),
            alias_zh="认证事件",
        ),
        Kind(
            "filings",
            (
                _c("filing_id", TEXT),
                _c("customs_code", CODE10),
                _c("kind", ENUM, values=("annual_report", "change_filing", "temporary_filing")),
                _c("due_date", DATE),
                _c("filed_date", DATE, required=False),
            ),
            key=("filing_id",),
            alias_zh="备案及年报",
        ),
        Kind(
            "control_assessments",
            (
                _c("customs_code", CODE10),
                _c("item_code", TEXT, alias_zh="标准条目"),
                _c(
                    "module",
                    ENUM,
                    values=(
                        "internal_control",
                        "financial",
                        "compliance",
                        "trade_security",
                        "additional",
                    ),
                ),
                _c(
                    "department",
                    ENUM,
                    alias_zh="责任部门",
                    values=(
                        "management",
                        "internal_audit",
                        "finance",
                        "security",
                        "customs_affairs",
                        "logistics",
                        "it",
                    ),
                ),
                _c(
                    "result",
                    ENUM,
                    values=("meets", "basically_meets", "fails", "not_applicable", "pending"),
                ),
                _c("assessed_date", DATE),
                _c("evidence_ref", TEXT, required=False),
            ),
            key=("customs_code", "item_code", "assessed_date"),
            alias_zh="内控自评",
        ),
        Kind(
            "financials",
            (
                _c("customs_code", CODE10),
                _c("fiscal_year", INT),
                _c("total_assets", MONEY, min_value=0, min_exclusive=True),
                _c("total_liabilities", MONEY, min_value=0),
            ),
            key=("customs_code", "fiscal_year"),
            alias_zh="财务状况",
        ),
    )
}

# Longest first, so "declaration_changes" wins over "declarations" when matching file names.
KIND_NAMES_BY_LENGTH = sorted(KINDS, key=len, reverse=True)


def kind_of_file(file_name: str) -> str | None:
    """The kind a landing file holds, from the start of its name (case-insensitive)."""
    base = file_name.lower()
    for name in KIND_NAMES_BY_LENGTH:
        if base.startswith(name):
            rest = base[len(name) :]
            if not rest or not rest[0].isalpha():
                return name
    return None
