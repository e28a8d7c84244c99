"""The quality suite of each input kind, as data derived from warehouse/contract.py.

A suite is a list of checks. Each check names the rows that break it with a SQL predicate over
one batch (`{batch}` is where GX substitutes the batch), so one query per check yields the count,
the first offending source_row and its value. expectations/gx_validate.py turns the checks into
Great Expectations expectations; this module imports nothing heavy so anyone can list the checks.

Severity: a broken key, type or required-value rule rejects the batch ("error"); an inconsistency
confined to an optional column is loaded with a "warning" (data-contract.md, "What bad input gets").
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from warehouse.contract import KINDS, MONEY, PATTERNS, Column, Kind

ERROR = "error"
WARNING = "warning"

# Rule ids, as they appear in rejection reasons and warnings.
RULE_ROW_COUNT = "row_count"
RULE_REQUIRED = "required"
RULE_UNIQUE_KEY = "unique_key"
RULE_UNIQUE = "unique"
RULE_PATTERN = "pattern"
RULE_ENUM = "enum"
RULE_MIN_VALUE = "min_value"
RULE_AFTER_LOAD_DATE = "after_load_date"
RULE_IE_FLAG = "ie_flag_mismatch"
RULE_REQUIRED_UNLESS_INVESTIGATING = "required_unless_investigating"
RULE_DECIDED_BEFORE_OPENED = "decided_before_opened"
RULE_CLOSED_BEFORE_OPENED = "closed_before_opened"
RULE_REQUIRED_WHEN_FINE = "required_when_fine"
RULE_JUDGMENT_CASE_TYPE = "judgment_case_type"

# Case types whose judgment_effective_date means something (credit-rules D1 and its sibling).
JUDGMENT_CASE_TYPES = ("smuggling_crime", "serious_safety_crime")


@dataclass(frozen=True)
class Check:
    """One expectation: the rows matching `where` are unexpected.

    `where` is None only for the row-count check (a property of the whole batch). `value` is the
    SQL expression reported as first_value (defaults to the column). `query`, when set, replaces
    the generated single-table query (uniqueness needs a self-join).
    """

    name: str
    rule: str
    column: str | None
    details: str
    where: str | None = None
    value: str | None = None
    severity: str = ERROR
    query: str | None = None

    @property
    def whole_batch(self) -> bool:
        """True for a check on the batch as a whole (row count), which has no failing rows."""
        return self.where is None and self.query is None

    def unexpected_rows_query(self) -> str:
        """One row (count, first row, first value) when some rows break the check, else none.

        Aggregating in the query keeps GX to ONE scan per check, however many rows fail.
        """
        if self.query is not None:
            return self.query
        if self.where is None:
            raise ValueError(f"{self.name}: a row check needs a predicate")
        value = self.value or (_q(self.column) if self.column else "NULL")
        return (
            "SELECT count(*) AS unexpected_count, min(source_row) AS first_row, "
            f"arg_min_null(CAST({value} AS VARCHAR), source_row) AS first_value "
            f"FROM {{batch}} WHERE {self.where} HAVING count(*) > 0"
        )


@dataclass(frozen=True)
class Suite:
    name: str  # the kind
    checks: tuple[Check, ...]

    def check(self, name: str) -> Check:
        for c in self.checks:
            if c.name == name:
                return c
        raise KeyError(name)


def build_suite(kind: str, load_date: datetime.date, *, column_checks: bool = True) -> Suite:
    """The suite of one kind; `load_date` bounds dates that may not lie in the future.

    Without column_checks the suite keeps what the pandera contract does not check: the
    batch-level expectations (row count, keys and unique columns) and dates against the load
    date. The column rules and the rules across columns of a row (ie_flag, the case rules) are
    the contract's (expectations/contracts.py ROW_RULES), run on the same rows just before."""
    if kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r}; known: {', '.join(sorted(KINDS))}")
    k = KINDS[kind]
    if isinstance(load_date, datetime.datetime):  # a timestamp would not render as a DATE
        load_date = load_date.date()
    # An export with nothing new (no cases this week) is a batch of 0 rows: the contract rejects
    # only what cannot be read or breaks a rule, so an empty batch is loaded with a warning.
    checks: list[Check] = [
        Check(
            "table_row_count_at_least_1",
            RULE_ROW_COUNT,
            None,
            "the batch has at least 1 row",
            severity=WARNING,
        )
    ]
    if column_checks:
        for col in k.columns:
            if col.required or col.name in k.key:
                checks.append(_not_null(col))
    checks.append(_unique(k, k.key, RULE_UNIQUE_KEY))
    checks.extend(_unique(k, (name,), RULE_UNIQUE) for name in k.unique_columns)
    if column_checks:
        for col in k.columns:
            checks.extend(_column_checks(col))
    row_rules = _ROW_RULES.get(kind, lambda _d: [])(load_date)
    if not column_checks:
        from expectations.contracts import ROW_RULES

        contract_rules = {r.name for r in ROW_RULES.get(kind, ())}
        row_rules = [c for c in row_rules if c.rule not in contract_rules]
    checks.extend(row_rules)
    names = [c.name for c in checks]
    if len(names) != len(set(names)):
        raise ValueError(f"duplicate check names in suite {kind}: {names}")
    return Suite(kind, tuple(checks))


def _q(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def _literal(text: str) -> str:
    """A SQL string literal, with braces doubled because GX runs str.format over the query."""
    return "'" + text.replace("'", "''").replace("{", "{{").replace("}", "}}") + "'"


def _not_null(col: Column) -> Check:
    return Check(
        f"{col.name}_not_null",
        RULE_REQUIRED,
        col.name,
        f"{col.name} is required",
        where=f"{_q(col.name)} IS NULL",
    )


def _unique(k: Kind, columns: tuple[str, ...], rule: str) -> Check:
    """Rows repeating the key of an earlier row (the first occurrence is not counted).

    Three phases: the rows whose key HASH repeats, among those the keys that really repeat (a
    hash collision only adds a candidate), then rank only the rows of those keys. A repeated
    hash is found by sorting the 64-bit hashes and comparing each with the one before it: the
    cost on a clean batch, and at 10M all-distinct keys a sort is ~1.7x cheaper than grouping
    them (0.8 s / 1.5 CPU-s against 1.2-1.6 s / 2.2-3.1 CPU-s; grouping the keys themselves
    is dearer still).
    """
    cols = ", ".join(_q(c) for c in columns)
    on = " AND ".join(f"b.{_q(c)} = d.{_q(c)}" for c in columns)
    value = (
        _q(columns[0])
        if len(columns) == 1
        else "concat_ws('|', " + ", ".join(_q(c) for c in columns) + ")"
    )
    by = ", ".join(f"b.{_q(c)}" for c in columns)
    key_hash = f"hash({cols})"
    repeated_hashes = (
        "SELECT DISTINCT h FROM (SELECT h, lag(h) OVER (ORDER BY h) AS previous "
        f"FROM (SELECT {key_hash} AS h FROM {{batch}})) WHERE h = previous"
    )
    query = (
        f"WITH candidates AS (SELECT * FROM {{batch}} WHERE {key_hash} IN "
        f"({repeated_hashes})) "
        "SELECT count(*) AS unexpected_count, min(source_row) AS first_row, "
        f"arg_min_null(CAST({value} AS VARCHAR), source_row) AS first_value "
        f"FROM (SELECT b.*, min(b.source_row) OVER (PARTITION BY {by}) AS first_seen "
        f"FROM candidates b JOIN (SELECT {cols} FROM candidates GROUP BY {cols} "
        f"HAVING count(*) > 1) d ON {on}) WHERE source_row > first_seen HAVING count(*) > 0"
    )
    key_text = "(" + ", ".join(columns) + ")" if len(columns) > 1 else columns[0]
    return Check(
        f"{'_'.join(columns)}_unique",
        rule,
        columns[0],
        f"{key_text} is unique within the batch",
        query=query,
    )


def _column_checks(col: Column) -> list[Check]:
    """Type-level rules of one column: pattern, enum set, money bound. Nulls are not judged here."""
    q = _q(col.name)
    out: list[Check] = []
    pattern = PATTERNS.get(col.type)
    if pattern is not None:
        out.append(
            Check(
                f"{col.name}_matches_pattern",
                RULE_PATTERN,
                col.name,
                f"{col.name} matches {pattern}",
                where=f"NOT regexp_full_match({q}, {_literal(pattern)})",
            )
        )
    if col.values:
        allowed = ", ".join(_literal(v) for v in col.values)
        out.append(
            Check(
                f"{col.name}_in_set",
                RULE_ENUM,
                col.name,
                f"{col.name} is one of {', '.join(col.values)}",
                where=f"{q} NOT IN ({allowed})",
            )
        )
    if col.type == MONEY and col.min_value is not None:
        op, text = ("<=", ">") if col.min_exclusive else ("<", ">=")
        bound = f"{col.min_value:g}"
        out.append(
            Check(
                f"{col.name}_{'positive' if col.min_exclusive else 'not_negative'}",
                RULE_MIN_VALUE,
                col.name,
                f"{col.name} {text} {bound}",
                where=f"{q} {op} {bound}",
            )
        )
    return out


def _date(d: datetime.date) -> str:
    return f"DATE '{d.isoformat()}'"


def _declaration_rules(load_date: datetime.date) -> list[Check]:
    return [
        Check(
            "declare_date_not_after_load_date",
            RULE_AFTER_LOAD_DATE,
            "declare_date",
            f"declare_date is not after the load date {load_date.isoformat()}",
            where=f'"declare_date" > {_date(load_date)}',
        ),
        Check(
            "ie_flag_matches_entry_id",
            RULE_IE_FLAG,
            "ie_flag",
            "ie_flag agrees with digit 9 of entry_id (1 => I, 0 => E)",
            # A digit 9 other than 0/1 can agree with no flag, so it counts as a mismatch.
            where=(
                '"entry_id" IS NOT NULL AND "ie_flag" <> CASE substr("entry_id", 9, 1) '
                "WHEN '1' THEN 'I' WHEN '0' THEN 'E' ELSE '?' END"
            ),
        ),
    ]


def _case_rules(_load_date: datetime.date) -> list[Check]:
    undecided = "\"status\" <> 'investigating'"
    crime_types = ", ".join(_literal(t) for t in JUDGMENT_CASE_TYPES)
    return [
        Check(
            "decided_date_required_unless_investigating",
            RULE_REQUIRED_UNLESS_INVESTIGATING,
            "decided_date",
            "decided_date is required unless status is investigating",
            where=f'{undecided} AND "decided_date" IS NULL',
        ),
        Check(
            "penalty_kind_required_unless_investigating",
            RULE_REQUIRED_UNLESS_INVESTIGATING,
            "penalty_kind",
            "penalty_kind is required unless status is investigating",
            where=f'{undecided} AND "penalty_kind" IS NULL',
        ),
        Check(
            "decided_date_not_before_opened_date",
            RULE_DECIDED_BEFORE_OPENED,
            "decided_date",
            "decided_date is not before opened_date",
            where='"decided_date" < "opened_date"',
        ),
        Check(
            "fine_cny_required_when_fine",
            RULE_REQUIRED_WHEN_FINE,
            "fine_cny",
            "fine_cny is required when penalty_kind is fine",
            where='"penalty_kind" = \'fine\' AND "fine_cny" IS NULL',
        ),
        # Optional columns: an inconsistency is loaded with a warning.
        Check(
            "closed_date_not_before_opened_date",
            RULE_CLOSED_BEFORE_OPENED,
            "closed_date",
            "closed_date is not before opened_date",
            where='"closed_date" < "opened_date"',
            severity=WARNING,
        ),
        Check(
            "judgment_effective_date_only_on_crimes",
            RULE_JUDGMENT_CASE_TYPE,
            "judgment_effective_date",
            "judgment_effective_date is set only on " + " and ".join(JUDGMENT_CASE_TYPES),
            where=f'"judgment_effective_date" IS NOT NULL AND "case_type" NOT IN ({crime_types})',
            severity=WARNING,
        ),
    ]


_ROW_RULES = {"declarations": _declaration_rules, "cases": _case_rules}
