"""pandera contracts of the input kinds, generated from warehouse/contract.py.

One `pandera.polars.DataFrameSchema` per kind: dtypes, required columns not null, enum values,
code patterns, money bounds and decimals, plus the row rules of the contract (I/E flag agrees with
the entry id, a case is not decided before it was opened, ...). A batch is validated in chunks
fetched from DuckDB as Arrow -> polars, so memory stays bounded on 10M-row files; each chunk is a
collected DataFrame (a LazyFrame would only be schema-checked). Columns of few distinct values
(codes, enums, dates, flags) not read by a row rule are validated over their distinct values
instead, each with its first row and its row count: their rules are per value.

pandera and polars are imported inside functions: this module sits on the CLI's import path.
"""

from __future__ import annotations

import functools
import operator
import os
import re
from collections import deque
from collections.abc import Callable, Collection
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

from warehouse.contract import (
    BOOL,
    CODE10,
    DATE,
    DIGITS4,
    DIGITS18,
    ENUM,
    INT,
    KINDS,
    MONEY,
    PATTERNS,
    TEXT18,
    Column,
)
from warehouse.ingest_types import Finding, Severity

if TYPE_CHECKING:
    import duckdb
    import polars as pl

# Rows per validated chunk: bounds memory (a 1M-row declarations chunk is ~150 MB in polars).
VALIDATION_CHUNK_ROWS = int(os.environ.get("CUSTOMS_CREDIT_VALIDATION_CHUNK_ROWS", "1000000"))
# Chunks validated at a time (threads); one per core by default.
VALIDATION_WORKERS = int(
    os.environ.get("CUSTOMS_CREDIT_VALIDATION_WORKERS", str(os.cpu_count() or 2))
)

# Column types validated over their distinct values: every rule of theirs (dtype, required,
# pattern, enum) judges a value alone, and a batch holds few of them (at 10M declarations ~16k
# consignee codes), so DuckDB's GROUP BY (~0.05 s a column) replaces shipping and checking 10M
# values (~0.6 s a code column). Ids and money stay row by row: nearly every value differs.
BY_VALUE_TYPES = frozenset({CODE10, TEXT18, DIGITS4, ENUM, DATE, BOOL})
ROWS_WITH_VALUE = "rows_with_value"  # the row count of a value in a by-value frame

PATTERN_WORDS = {
    CODE10: "10 digits or capital letters",
    TEXT18: "18 digits or capital letters",
    DIGITS18: "18 digits",
    DIGITS4: "4 digits",
}


@dataclass(frozen=True)
class RowRule:
    """A rule across columns of one row. `ok` is a polars expression, true where the row passes
    (nulls pass: required-ness is checked separately); `message` explains a failing row."""

    name: str
    column: str
    ok: Callable[[], pl.Expr]
    message: Callable[[dict[str, Any]], str]
    severity: Severity = "error"

    @property
    def check_name(self) -> str:
        """Unique within a schema (two rules may share a name, on different columns)."""
        return f"{self.name}:{self.column}"


def _col(name: str) -> pl.Expr:
    import polars as pl

    return pl.col(name)


def _not_before(later: str, earlier: str) -> Callable[[], pl.Expr]:
    return lambda: (_col(later) >= _col(earlier)).fill_null(True)


def _ie_flag_ok() -> pl.Expr:
    import polars as pl

    # The flag's digit compared with digit 9 (~25% cheaper than mapping each digit to a flag):
    # a flag other than I/E, or a digit other than 0/1, agrees with nothing.
    flag = _col("ie_flag")
    digit = pl.when(flag == "I").then(pl.lit("1")).when(flag == "E").then(pl.lit("0"))
    return (_col("entry_id").str.slice(8, 1) == digit).fill_null(
        _col("entry_id").is_null() | flag.is_null()
    )


def _required_unless_investigating(column: str) -> Callable[[], pl.Expr]:
    return lambda: (_col("status") == "investigating").fill_null(True) | _col(column).is_not_null()


def _fine_ok() -> pl.Expr:
    return (_col("penalty_kind") != "fine").fill_null(True) | _col("fine_cny").is_not_null()


def _judgment_ok() -> pl.Expr:
    crimes = ["smuggling_crime", "serious_safety_crime"]
    return _col("judgment_effective_date").is_null() | _col("case_type").is_in(crimes)


ROW_RULES: dict[str, tuple[RowRule, ...]] = {
    "declarations": (
        RowRule(
            "ie_flag_mismatch",
            "ie_flag",
            _ie_flag_ok,
            lambda r: (
                f"digit 9 of entry_id {r['entry_id']} is {r['entry_id'][8:9]!r}: "
                f"ie_flag must be {'I' if r['entry_id'][8:9] == '1' else 'E'}"
                if r["entry_id"][8:9] in ("0", "1")
                else f"digit 9 of entry_id {r['entry_id']} is not 1 (import) or 0 (export)"
            ),
        ),
    ),
    "cases": (
        RowRule(
            "required_unless_investigating",
            "decided_date",
            _required_unless_investigating("decided_date"),
            lambda r: f"decided_date is required when status is {r['status']}",
        ),
        RowRule(
            "required_unless_investigating",
            "penalty_kind",
            _required_unless_investigating("penalty_kind"),
            lambda r: f"penalty_kind is required when status is {r['status']}",
        ),
        RowRule(
            "decided_before_opened",
            "decided_date",
            _not_before("decided_date", "opened_date"),
            lambda r: f"decided_date is before opened_date {r['opened_date']}",
        ),
        RowRule(
            "closed_before_opened",
            "closed_date",
            _not_before("closed_date", "opened_date"),
            lambda r: f"closed_date is before opened_date {r['opened_date']}; loaded as given",
            severity="warning",  # closed_date is optional: a problem there is a warning
        ),
        RowRule(
            "required_when_fine",
            "fine_cny",
            _fine_ok,
            lambda r: "fine_cny is required when penalty_kind is fine",
        ),
        RowRule(
            "judgment_case_type",
            "judgment_effective_date",
            _judgment_ok,
            lambda r: (
                f"judgment_effective_date applies to smuggling_crime and serious_safety_crime "
                f"only, not {r['case_type']}; loaded as given"
            ),
            severity="warning",
        ),
    ),
}


def polars_dtype(col: Column) -> Any:
    import polars as pl

    return {
        DATE: pl.Date,
        MONEY: pl.Decimal(18, 2),
        BOOL: pl.Boolean,
        INT: pl.Int32,
    }.get(col.type, pl.Utf8)


def _named(name: str, expr: Callable[[pl.Expr], pl.Expr]):  # -> pa.Check
    """A vectorised column check whose failures carry our rule name."""
    import pandera.polars as pa

    return pa.Check(lambda data: data.lazyframe.select(expr(_col(data.key))), name=name)


# A pattern of n ASCII digits, e.g. [0-9]{18}.
_DIGITS = re.compile(r"^\[0-9\]\{([0-9]+)\}$")


def pattern_ok(pattern: str) -> Callable[[pl.Expr], pl.Expr]:
    """True where a value fully matches `pattern` (null where it is null).

    n digits (n <= 19, so any such value fits a UInt64) are n bytes that polars parses as an
    unsigned integer without a '+' sign (its parser takes nothing else: no spaces, signs, dots,
    other scripts' digits): the regex's verdict at ~40% of its cost (10M entry_ids: ~0.25 against
    ~0.65 CPU-s). tests/test_readers.py compares both on fuzzed text. Other patterns: the regex.
    """
    import polars as pl

    m = _DIGITS.match(pattern)
    if m is None or int(m.group(1)) > 19:
        return lambda c, r=f"^{pattern}$": c.str.contains(r)
    n = int(m.group(1))
    return lambda c: (
        (c.str.len_bytes() == n)
        & ~c.str.starts_with("+")
        & (c.cast(pl.UInt64, strict=False).is_not_null() | c.is_null())
    )


def enum_ok(values: Collection[str]) -> Callable[[pl.Expr], pl.Expr]:
    """True where a value is one of `values`: a few equalities cost a third to a half of
    `is_in` (10M rows of a 2-value set: ~0.03 against ~0.1 CPU-s)."""
    values = list(values)
    if len(values) > 5:
        return lambda c: c.is_in(values)
    return lambda c: functools.reduce(operator.or_, [c == v for v in values])


def _decimals_ok(data: Any) -> Any:
    """At most 2 decimals. A Decimal column of scale <= 2 (what the readers deliver) cannot
    hold more: True without looking at the values; any other dtype (a float frame) is checked
    value by value."""
    import polars as pl

    dtype = data.lazyframe.collect_schema()[data.key]
    if isinstance(dtype, pl.Decimal) and dtype.scale is not None and dtype.scale <= 2:
        return True
    c = _col(data.key)
    return data.lazyframe.select((c * 100).round(0) == c * 100)


def column_checks(col: Column) -> list:
    import pandera.polars as pa

    checks = []
    if col.type in PATTERNS:
        checks.append(_named("pattern", pattern_ok(PATTERNS[col.type])))
    if col.type == ENUM:
        checks.append(_named("enum", enum_ok(col.values)))
    if col.type == MONEY:
        if col.min_value is not None:
            lo = col.min_value
            if col.min_exclusive:
                checks.append(_named("min_value", lambda c, lo=lo: c > lo))
            else:
                checks.append(_named("min_value", lambda c, lo=lo: c >= lo))
        # Scale 2 is also in the dtype; this keeps the rule if a float frame is validated.
        checks.append(pa.Check(_decimals_ok, name="money_decimals"))
    return checks


def rule_columns(rule: RowRule) -> frozenset[str]:
    """The columns a row rule reads."""
    return frozenset(rule.ok().meta.root_names())


def row_rule_columns(kind_name: str) -> frozenset[str]:
    """The columns the kind's row rules read."""
    return frozenset().union(*(rule_columns(r) for r in ROW_RULES.get(kind_name, ())))


def checked_columns(kind_name: str, skip: Collection[str] = ()) -> list[str]:
    """The contract columns validated, in contract order: all but `skip` (columns whose rules
    the caller's reader already enforced), keeping any column a row rule reads."""
    needed = row_rule_columns(kind_name)
    return [c for c in KINDS[kind_name].column_names if c not in skip or c in needed]


@cache
def schema_for(kind_name: str, skip: frozenset[str] = frozenset()):  # -> pa.DataFrameSchema
    """The kind's contract; without the columns `skip` (see checked_columns) when given."""
    import pandera.polars as pa
    import polars as pl

    kind = KINDS[kind_name]
    kept = set(checked_columns(kind_name, skip))
    columns = {col.name: _pa_column(col) for col in kind.columns if col.name in kept}
    columns["source_row"] = pa.Column(pl.Int64, nullable=False)
    checks = [
        pa.Check(
            lambda data, r=rule: data.lazyframe.select(r.ok().alias("ok")), name=rule.check_name
        )
        for rule in ROW_RULES.get(kind_name, ())
        if rule.severity == "error"
    ]
    return pa.DataFrameSchema(columns, checks=checks, name=kind_name, strict=False, coerce=False)


def _pa_column(col: Column):  # -> pa.Column
    import pandera.polars as pa

    return pa.Column(
        polars_dtype(col),
        checks=column_checks(col),
        nullable=not col.required,
        required=True,  # the reader always delivers every contract column
    )


def by_value_columns(kind_name: str, skip: Collection[str] = ()) -> list[str]:
    """The checked columns validated over their distinct values (BY_VALUE_TYPES, read by no
    row rule)."""
    needed = row_rule_columns(kind_name)
    kind = KINDS[kind_name]
    return [
        c
        for c in checked_columns(kind_name, skip)
        if kind.column(c).type in BY_VALUE_TYPES and c not in needed
    ]


@cache
def value_schema(kind_name: str, column: str):  # -> pa.DataFrameSchema
    """One column's rules, for a frame of its distinct values (see by_value_columns)."""
    import pandera.polars as pa
    import polars as pl

    columns = {
        column: _pa_column(KINDS[kind_name].column(column)),
        "source_row": pa.Column(pl.Int64, nullable=False),
    }
    return pa.DataFrameSchema(columns, name=f"{kind_name}.{column}", strict=False, coerce=False)


def _message(kind_name: str, rule: str, column: str | None, check: str) -> str:
    kind = KINDS[kind_name]
    col = kind.column(column) if column in kind.column_names else None
    if rule == "required":
        return f"{column} is required"
    if col is not None and rule == "pattern":
        return f"{column} must be {PATTERN_WORDS[col.type]}"
    if col is not None and rule == "enum":
        return f"{column} must be one of {', '.join(col.values)}"
    if col is not None and rule == "min_value":
        op = ">" if col.min_exclusive else ">="
        return f"{column} must be {op} {col.min_value:g}"
    if rule == "money_decimals":
        return f"{column} has more than 2 decimals"
    if rule == "dtype":
        return f"{column} has the wrong type: {check}"
    return f"{column}: {check}"


def _rule_of(check: str) -> str:
    if check == "not_nullable":
        return "required"
    if check.startswith("dtype("):
        return "dtype"
    if check == "column_in_dataframe":
        return "missing_column"
    return check


def validate_frame(
    kind_name: str, df: pl.DataFrame, skip: frozenset[str] = frozenset()
) -> list[Finding]:
    """All contract findings of one collected chunk (errors and warnings), first row of each."""
    import pandera.polars as pa

    findings: list[Finding] = []
    try:
        schema_for(kind_name, skip).validate(df, lazy=True)
    except pa.errors.SchemaErrors as exc:
        findings.extend(_schema_findings(kind_name, df, exc.failure_cases))
    for rule in ROW_RULES.get(kind_name, ()):
        if rule.severity != "warning":
            continue
        bad = df.filter(~rule.ok())
        if bad.height:
            first = bad.sort("source_row").row(0, named=True)
            findings.append(_row_finding(rule, df, first["source_row"], bad.height))
    return findings


def validate_values(kind_name: str, column: str, df: pl.DataFrame) -> list[Finding]:
    """Findings of one column's distinct values: `df` holds the column, each value's first
    source_row and its row count (ROWS_WITH_VALUE), so a finding tells the same first row,
    value and count as the rows would."""
    import pandera.polars as pa

    try:
        value_schema(kind_name, column).validate(df, lazy=True)
    except pa.errors.SchemaErrors as exc:
        return _schema_findings(kind_name, df, exc.failure_cases, df.get_column(ROWS_WITH_VALUE))
    return []


def _schema_findings(
    kind_name: str, df: pl.DataFrame, failures: pl.DataFrame, weights: pl.Series | None = None
) -> list[Finding]:
    """One finding per failed (column, check): its first row and value, and how many rows
    failed (`weights`: rows per frame row, for a frame of distinct values)."""
    import polars as pl

    findings: list[Finding] = []
    rows = df.get_column("source_row")
    groups = failures.group_by(["column", "check"], maintain_order=True).agg(
        pl.len().alias("count"), pl.col("index"), pl.col("failure_case")
    )
    for column, check, count, indexes, values in groups.iter_rows():
        rule = _rule_of(check)
        pairs = [(rows[i], v) for i, v in zip(indexes, values, strict=True) if i is not None]
        first_row, value = min(pairs, key=lambda p: p[0]) if pairs else (None, None)
        if weights is not None and pairs:
            count = sum(weights[i] for i in indexes if i is not None)
        row_rule = _row_rule(kind_name, check)
        if row_rule is not None:
            findings.append(_row_finding(row_rule, df, first_row, count))
            continue
        findings.append(
            Finding(
                rule=rule,
                message=_message(kind_name, rule, column, check),
                column=column,
                row=first_row,
                value=None if value is None else str(value),
                count=count,
                stage="contract",
            )
        )
    return findings


def _row_rule(kind_name: str, check: str) -> RowRule | None:
    return next((r for r in ROW_RULES.get(kind_name, ()) if r.check_name == check), None)


def _row_finding(rule: RowRule, df: pl.DataFrame, source_row: int | None, count: int) -> Finding:
    import polars as pl

    row: dict[str, Any] = {}
    if source_row is not None:
        match = df.filter(pl.col("source_row") == source_row)
        if match.height:
            row = match.row(0, named=True)
    value = row.get(rule.column)
    try:
        message = rule.message(row)
    except (KeyError, TypeError):
        message = rule.name.replace("_", " ")
    return Finding(
        rule=rule.name,
        message=message,
        column=rule.column,
        row=source_row,
        value=None if value is None else str(value),
        count=count,
        severity=rule.severity,
        stage="contract",
    )


def merge_findings(findings: list[Finding]) -> list[Finding]:
    """One finding per (rule, column, severity): counts summed, the smallest row kept."""
    merged: dict[tuple[str, str | None, str], Finding] = {}
    for f in findings:
        key = (f.rule, f.column, f.severity)
        old = merged.get(key)
        if old is None:
            merged[key] = f
            continue
        first = f if (f.row or 0) < (old.row or 0) else old
        merged[key] = Finding(**{**first.as_dict(), "count": old.count + f.count})
    return sorted(merged.values(), key=lambda f: (f.row is None, f.row or 0))


def validate_table(
    con: duckdb.DuckDBPyConnection,
    kind_name: str,
    table: str,
    *,
    chunk_rows: int = VALIDATION_CHUNK_ROWS,
    workers: int = VALIDATION_WORKERS,
    skip: Collection[str] = (),
) -> list[Finding]:
    """Validate a DuckDB table of one kind (contract columns + source_row) chunk by chunk.

    `skip` names columns whose every rule the reader that filled `table` already enforced
    (warehouse/readers_sql.py guaranteed_columns): they are neither fetched nor checked, unless
    a row rule reads them. Columns of few values (by_value_columns) are validated over their
    distinct values, grouped by DuckDB. The rest go row by row: pandera runs a chunk's checks
    one after another on one core; `workers` chunks are converted to polars and validated at a
    time on threads (polars releases the GIL), while DuckDB fetches the next one. At most
    `workers` + 1 chunks are held at once."""
    import polars as pl

    skipped = frozenset(skip)
    findings: list[Finding] = []
    by_value = by_value_columns(kind_name, skipped)
    for column in by_value:
        values = pl.from_arrow(
            con.sql(
                f"SELECT {column}, min(source_row) AS source_row, "
                f"count(*) AS {ROWS_WITH_VALUE} FROM {table} GROUP BY ALL"
            ).to_arrow_table()
        )
        assert isinstance(values, pl.DataFrame)
        findings.extend(validate_values(kind_name, column, values))
    skipped |= frozenset(by_value)
    cols = ", ".join([*checked_columns(kind_name, skipped), "source_row"])
    reader = con.sql(f"SELECT {cols} FROM {table}").to_arrow_reader(chunk_rows)
    schema_for(kind_name, skipped)  # built once, before the threads share it
    pending: deque[Future[list[Finding]]] = deque()
    with ThreadPoolExecutor(max(1, workers), thread_name_prefix="pandera") as pool:
        for batch in reader:
            pending.append(pool.submit(_validate_batch, kind_name, batch, skipped))
            while len(pending) >= max(1, workers):
                findings.extend(pending.popleft().result())
        while pending:
            findings.extend(pending.popleft().result())
    return merge_findings(findings)


def _validate_batch(kind_name: str, batch: Any, skip: frozenset[str]) -> list[Finding]:
    """One Arrow record batch: converted on the worker, so the fetch goes on meanwhile."""
    import polars as pl

    df = pl.from_arrow(batch)
    assert isinstance(df, pl.DataFrame)
    return validate_frame(kind_name, df, skip)


__all__ = [
    "BY_VALUE_TYPES",
    "ROW_RULES",
    "VALIDATION_CHUNK_ROWS",
    "VALIDATION_WORKERS",
    "RowRule",
    "by_value_columns",
    "checked_columns",
    "merge_findings",
    "schema_for",
    "validate_frame",
    "validate_table",
    "validate_values",
]
