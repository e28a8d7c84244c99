"""SQL that turns a source (columns c0..cN as read) into the typed batch table of one kind.

Two ways, same result on clean input:
- fast: DuckDB's CSV reader parses dates, booleans and integers itself; money is checked for
  its 2 decimals and optional enums for their values with `error()`, so any surprise aborts the
  statement and the robust way runs instead (clean files, the common case, pay one pass);
- robust: every column is read as text and converted with try_* functions; the first failing
  column of each row is tagged in `_err`/`_warn` (+ its value), so a bad value is reported with its
  row, column, value and rule. Those helper columns are dropped before anyone else sees the table.
"""

from __future__ import annotations

from pathlib import Path

from warehouse.contract import (
    BOOL,
    DATE,
    DATE_FORMATS,
    ENUM,
    FALSE_WORDS,
    INT,
    MONEY,
    TRUE_WORDS,
    Column,
    Kind,
)
from warehouse.readers import WHITESPACE, HeaderMap, sql_ident, sql_str

# Extra layouts seen in Excel/Parquet exports of dates (datetime cells rendered as text).
EXTRA_DATE_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y/%m/%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S")
INT_RE = r"[+-]?[0-9]{1,9}(\.0*)?"

# Optional columns whose absence another rule turns into an error (cases: required unless
# investigating): a bad value there rejects instead of warning.
CONDITIONALLY_REQUIRED: dict[str, frozenset[str]] = {
    "cases": frozenset({"decided_date", "penalty_kind", "fine_cny"}),
}

HELPER_COLUMNS = ("_err", "_err_val", "_warn", "_warn_val")


def _ws() -> str:
    return sql_str(WHITESPACE)


def _in_list(values: tuple[str, ...]) -> str:
    return ", ".join(sql_str(v) for v in values)


def is_upper_enum(col: Column) -> bool:
    return all(v.isupper() for v in col.values)


def _default(col: Column) -> str:
    if col.default is None:
        return f"NULL::{col.duckdb_type}"
    if col.type == BOOL:
        return "true" if col.default.lower() in TRUE_WORDS else "false"
    return f"CAST({sql_str(col.default)} AS {col.duckdb_type})"


def _errors_reject(kind: Kind, col: Column) -> bool:
    return col.required or col.name in CONDITIONALLY_REQUIRED.get(kind.name, frozenset())


def guaranteed_columns(kind: Kind) -> frozenset[str]:
    """Columns whose every contract rule the reading itself enforces, whichever way a file is
    read: optional enums (e.g. doc_kind). A value outside the set fails the fast read, and the
    robust one loads it as the default (or NULL) with an `enum` warning; an empty value is the
    default. Validation need not fetch them again (expectations/contracts.py validate_table)."""
    return frozenset(
        col.name for col in kind.columns if col.type == ENUM and not _errors_reject(kind, col)
    )


def read_csv_sql(
    csv_path: Path,
    types: list[str],
    *,
    ordinality: bool = True,
    buffer_size: int | None = None,
    header: bool = True,
) -> str:
    """`read_csv` with explicit types for columns c0..cN (never auto-detected), numbered
    WITH ORDINALITY unless `ordinality=False`; header=False for a part of a file after its first.

    Numbering in the reader makes DuckDB parse the file on one thread (10M rows: ~9 s instead of
    ~4 s), so the fast path reads a big file in parts side by side (warehouse/csv_parts.py), or,
    when it cannot be cut, without numbers, by position (warehouse/ingest_batch.py)."""
    columns = ", ".join(f"'c{i}': '{t}'" for i, t in enumerate(types))
    buffer = "" if buffer_size is None else f", buffer_size = {int(buffer_size)}"
    return (
        f"read_csv({sql_str(csv_path)}, header = {str(header).lower()}, auto_detect = false, "
        "delim = ',', "
        f"quote = '\"', escape = '\"', columns = {{{columns}}}{buffer})"
        + (" WITH ORDINALITY" if ordinality else "")
    )


# ---------------------------------------------------------------- fast path


def fast_csv_types(kind: Kind, hm: HeaderMap, n_columns: int) -> list[str]:
    by_pos = {pos: kind.column(name) for name, pos in hm.positions.items()}
    types = []
    for i in range(n_columns):
        col = by_pos.get(i)
        if col is None or col.type in (MONEY, INT):
            # money and integers as text: checked, not rounded (the reader's INTEGER cast reads
            # "2024.5" as 2025, and a fiscal year so rounded would replace another year's row)
            types.append("VARCHAR")
        else:
            types.append(col.duckdb_type)
    return types


def _text(col: Column, src: str) -> str:
    """The text of one value; empty is NULL.

    Enum values and amounts lose surrounding spaces; dates, booleans (parsed by the CSV reader on
    the fast path) and integers also tabs and ideographic spaces. Codes and text are taken as
    written: a padded code fails its pattern. Trimming every column cost ~40% of the read time on
    10M rows (plain trim() ~4 s, a character-set trim twice that), for what only sloppy exports
    need.
    """
    if col.type in (DATE, BOOL, INT):
        return f"nullif(trim({src}, {_ws()}), '')"
    if col.type in (ENUM, MONEY):
        return f"nullif(trim({src}), '')"
    return f"nullif({src}, '')"


def _two_decimals(t: str) -> str:
    """At most 2 decimals written (trailing zeros allowed). String positions, not a regex: ~2x
    cheaper on 10M rows; the second OR term only runs where the first fails."""
    dot = f"strpos({t}, '.')"
    return f"({dot} = 0 OR length({t}) - {dot} <= 2 OR length(rtrim({t}, '0')) - {dot} <= 2)"


def _int_when(t: str) -> str:
    """The WHEN of a whole number written as one (2024, 2024.0): never a rounded 2024.5. INT_RE
    allows at most 9 digits, so the cast cannot overflow."""
    return (
        f"WHEN regexp_full_match({t}, {sql_str(INT_RE)}) "
        f"THEN CAST(split_part({t}, '.', 1) AS INTEGER)"
    )


def _fast_expr(kind: Kind, col: Column, src: str | None) -> str:
    if src is None:
        return _default(col)
    t = _text(col, src)
    if col.type == DATE or col.type == BOOL:
        value = src  # parsed by the CSV reader
    elif col.type == INT:
        value = f"CASE WHEN {t} IS NULL THEN NULL {_int_when(t)} ELSE error('int value') END"
    elif col.type == MONEY:
        value = (
            f"CASE WHEN {t} IS NULL THEN NULL WHEN {_two_decimals(t)} "
            f"THEN CAST({t} AS DECIMAL(18,2)) ELSE error('money value') END"
        )
    elif col.type == ENUM:
        # Clean files hold the exact values: skip the string functions for them (~15% faster).
        norm = (
            f"CASE WHEN {src} IN ({_in_list(col.values)}) THEN {src} "
            f"ELSE {'upper' if is_upper_enum(col) else 'lower'}({t}) END"
        )
        value = norm
        if not _errors_reject(kind, col):
            value = (
                f"CASE WHEN {norm} IS NULL OR {norm} IN ({_in_list(col.values)}) THEN {norm} "
                f"ELSE error('enum value') END"
            )
    else:
        value = t
    if col.default is not None:
        value = f"coalesce({value}, {_default(col)})"
    return value


def fast_select_sql(
    kind: Kind, hm: HeaderMap, source: str, *, source_row: bool = True, rows_before: int = 0
) -> str:
    """SELECT of the typed batch from `read_csv_sql(...)` (typed columns): raises on surprises.

    source_row is the ordinality plus `rows_before` (a part of a file: the records before it);
    with source_row=False the contract columns only (for a source read without ordinality)."""
    exprs = []
    for col in kind.columns:
        pos = hm.positions.get(col.name)
        src = None if pos is None else f"c{pos}"
        exprs.append(f"{_fast_expr(kind, col, src)} AS {col.name}")
    if source_row:
        exprs.append(f"CAST(ordinality + {int(rows_before)} AS BIGINT) AS source_row")
    return f"SELECT {', '.join(exprs)} FROM {source}"


# ---------------------------------------------------------------- robust path


def _convert(col: Column, t: str) -> tuple[str, str | None]:
    """(typed value, SQL of the rule broken when the text is present but the value is not)."""
    if col.type == DATE:
        fmts = DATE_FORMATS + EXTRA_DATE_FORMATS
        tries = ", ".join(f"try_strptime({t}, {sql_str(f)})" for f in fmts)
        return f"CAST(coalesce({tries}) AS DATE)", sql_str("date_format")
    if col.type == MONEY:
        value = f"CASE WHEN {_two_decimals(t)} THEN TRY_CAST({t} AS DECIMAL(18,2)) END"
        rule = (
            f"CASE WHEN TRY_CAST({t} AS DOUBLE) IS NOT NULL AND NOT {_two_decimals(t)} "
            f"THEN 'money_decimals' ELSE 'money_format' END"
        )
        return value, rule
    if col.type == BOOL:
        value = (
            f"CASE WHEN lower({t}) IN ({_in_list(TRUE_WORDS)}) THEN true "
            f"WHEN lower({t}) IN ({_in_list(FALSE_WORDS)}) THEN false END"
        )
        return value, sql_str("bool_format")
    if col.type == INT:
        return f"CASE {_int_when(t)} END", sql_str("int_format")
    if col.type == ENUM:
        norm = f"{'upper' if is_upper_enum(col) else 'lower'}({t})"
        return norm, None
    return t, None


def robust_select_sql(kind: Kind, hm: HeaderMap, source: str) -> str:
    """SELECT of the typed batch + _err/_warn tags from a source of text columns c0..cN and
    source_row. Never raises on a bad value."""
    texts, values, err_cases, warn_cases = [], [], [], []
    for col in kind.columns:
        pos = hm.positions.get(col.name)
        if pos is None:
            values.append(f"{_default(col)} AS {col.name}")
            continue
        t = f"t_{col.name}"
        texts.append(f"{_text(col, f'CAST(c{pos} AS VARCHAR)')} AS {t}")
        value, rule = _convert(col, t)
        cases = err_cases if _errors_reject(kind, col) else warn_cases
        if col.type == ENUM and not _errors_reject(kind, col):
            # A bad optional enum value is a warning; the row keeps the default (or NULL).
            rule = sql_str("enum")
            bad = f"{value} NOT IN ({_in_list(col.values)})"
            value = f"CASE WHEN {bad} THEN NULL ELSE {value} END"
        elif rule is not None:
            bad = f"({t} IS NOT NULL AND ({value}) IS NULL)"
        if rule is not None:
            cases.append((bad, f"{sql_str(col.name + ':')} || {rule}", t))
        if col.default is not None:
            value = f"coalesce({value}, {_default(col)})"
        values.append(f"{value} AS {col.name}")

    def tags(cases: list[tuple[str, str, str]], name: str) -> list[str]:
        if not cases:
            return [f"NULL::VARCHAR AS {name}", f"NULL::VARCHAR AS {name}_val"]
        tag = " ".join(f"WHEN {b} THEN {r}" for b, r, _ in cases)
        val = " ".join(f"WHEN {b} THEN {t}" for b, _, t in cases)
        return [f"CASE {tag} END AS {name}", f"CASE {val} END AS {name}_val"]

    inner = f"SELECT {', '.join([*texts, 'source_row'])} FROM {source}"
    outer = [*values, "source_row", *tags(err_cases, "_err"), *tags(warn_cases, "_warn")]
    return f"SELECT {', '.join(outer)} FROM ({inner})"


def csv_text_source(csv_path: Path, n_columns: int) -> str:
    rc = read_csv_sql(csv_path, ["VARCHAR"] * n_columns)
    cols = ", ".join(f"c{i}" for i in range(n_columns))
    return f"(SELECT {cols}, CAST(ordinality AS BIGINT) AS source_row FROM {rc})"


def parquet_text_source(path: Path, header: list[str]) -> str:
    cols = ", ".join(f"CAST({sql_ident(h)} AS VARCHAR) AS c{i}" for i, h in enumerate(header))
    return (
        f"(SELECT {cols}, CAST(file_row_number + 1 AS BIGINT) AS source_row "
        f"FROM read_parquet({sql_str(path)}, file_row_number = true))"
    )
