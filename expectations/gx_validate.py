"""The quality gate: run a kind's suite (expectations/suites.py) with Great Expectations in DuckDB.

GX reads the batch through the pipeline's connection itself, inside its open transaction (the
batch's rows are in staging, not committed yet): SQLAlchemy gets it behind a proxy whose begin,
commit, rollback and close do nothing, so neither GX nor the pool can end the writer's
transaction. One datasource, one batch and one suite run per call; every check is one query.
"""

from __future__ import annotations

import datetime
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import duckdb

from expectations.suites import ERROR, Check, Suite, build_suite

# A table name as the ingestion passes it: table, schema.table or catalog.schema.table.
_TABLE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*){0,2}$")


@dataclass(frozen=True)
class QualityFinding:
    """One expectation's outcome."""

    suite: str  # the kind, e.g. "declarations"
    expectation: str  # stable readable name, e.g. "entry_id_unique"
    success: bool
    unexpected_count: int
    rule: str  # rule id used in rejection reasons, e.g. "unique_key"
    column: str | None  # the column it concerns (first one if several)
    first_row: int | None  # source_row of the first failing row; None if n/a
    first_value: str | None  # that row's offending value, as text
    details: str  # short human text
    severity: str = ERROR  # "error" rejects the batch, "warning" is loaded and reported


class QualityGateCrash(RuntimeError):
    """GX itself failed (an exception in a metric or expectation): not a verdict on the data."""


def validate_batch(
    con: duckdb.DuckDBPyConnection,
    kind: str,
    table: str,
    *,
    load_date: datetime.date,
    column_checks: bool = True,
    keep: Callable[[Any], None] | None = None,
) -> list[QualityFinding]:
    """Validate the batch in `table` (a table or view `con` sees, committed or not) with the suite
    of `kind`: one finding per check.

    column_checks=False leaves out the per-column contract (required, pattern, enum, minimum),
    for callers that have already enforced it on the same rows with pandera. `keep`, if given,
    receives GX's own result (an ExpectationSuiteValidationResult) once it is a verdict, i.e.
    not a crash: the ingestion keeps it for the Data Docs (expectations/gx_docs.py)."""
    if not _TABLE_NAME.match(table):
        raise ValueError(f"not a table name: {table!r}")
    suite = build_suite(kind, load_date, column_checks=column_checks)
    from expectations.gx_context import LOCK, gx_runtime

    with LOCK:
        outcome = _run(gx_runtime(), con, suite, table)
    findings = _findings(suite, list(outcome.results))
    if keep is not None:
        keep(outcome)
    return findings


def errors(findings: list[QualityFinding]) -> list[QualityFinding]:
    """The failed findings that reject the batch."""
    return [f for f in findings if not f.success and f.severity == ERROR]


def warnings(findings: list[QualityFinding]) -> list[QualityFinding]:
    """The failed findings that are loaded with a warning."""
    return [f for f in findings if not f.success and f.severity != ERROR]


def findings_to_rows(
    batch_id: str, findings: list[QualityFinding], validated_at: datetime.datetime
) -> list[tuple]:
    """Rows for ops.quality_results (batch_id, suite, expectation, success, unexpected_count,
    details, validated_at)."""
    return [
        (
            batch_id,
            f.suite,
            f.expectation,
            f.success,
            f.unexpected_count,
            _row_details(f),
            validated_at,
        )
        for f in findings
    ]


def _row_details(f: QualityFinding) -> str:
    text = f"[{f.severity}] {f.rule}: {f.details}"
    if not f.success and f.first_row is not None:
        value = "" if f.first_value is None else f", value {f.first_value!r}"
        text += f"; first at row {f.first_row}{value}"
    return text


def _quote_table(table: str) -> str:
    return ".".join(f'"{part}"' for part in table.split("."))


def _expectation(gx: Any, check: Check) -> Any:
    meta = {"check": check.name}
    if check.whole_batch:
        return gx.row_count(min_value=1, meta=meta, description=check.details)
    return gx.row_check(
        unexpected_rows_query=check.unexpected_rows_query(), meta=meta, description=check.details
    )


class _Shared:
    """The writer connection as SQLAlchemy may hold it: the transaction stays the caller's."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self._con = con

    def __getattr__(self, name: str) -> Any:
        return getattr(self._con, name)

    def begin(self) -> None:
        pass

    def commit(self) -> None:
        pass

    def rollback(self) -> None:
        pass

    def close(self) -> None:
        pass


def _run(gx: Any, con: duckdb.DuckDBPyConnection, suite: Suite, table: str) -> Any:
    import duckdb_engine

    from expectations import gx_patch

    def creator() -> Any:
        return duckdb_engine.ConnectionWrapper(_Shared(con))

    name = f"quality-{suite.name}-{uuid.uuid4().hex[:12]}"
    sources = gx.context.data_sources
    try:
        source = sources.add_sql(
            name=name, connection_string="duckdb:///:memory:", kwargs={"creator": creator}
        )
        asset = source.add_query_asset(
            name=suite.name, query=f"SELECT * FROM {_quote_table(table)}"
        )
        batch = asset.add_batch_definition_whole_table("batch").get_batch()
        gx_suite = gx.module.ExpectationSuite(
            name=suite.name, expectations=[_expectation(gx, c) for c in suite.checks]
        )
        outcome = batch.validate(gx_suite, result_format="SUMMARY")
    except Exception as exc:
        raise QualityGateCrash(f"GX could not validate {suite.name} in {table}: {exc}") from exc
    finally:
        if name in sources.all():
            gx_patch.release(sources.get(name))
            sources.delete(name)
    return outcome


def _crash_message(exception_info: Any) -> str | None:
    """The exception a result carries, if any. GX uses two shapes: one dict, or one per metric."""
    if not exception_info:
        return None
    infos = (
        [exception_info]
        if "raised_exception" in exception_info
        else [v for v in exception_info.values() if isinstance(v, dict)]
    )
    for info in infos:
        if info.get("raised_exception") or info.get("exception_message"):
            message = str(info.get("exception_message") or "exception without a message")
            return message.strip().splitlines()[0]  # SQLAlchemy appends the SQL on later lines
    return None


def _findings(suite: Suite, results: list[Any]) -> list[QualityFinding]:
    by_name: dict[str, Any] = {}
    crashes: list[str] = []
    for r in results:
        name = (r.expectation_config.meta or {}).get("check")
        message = _crash_message(r.exception_info)
        if message is not None:
            crashes.append(f"{suite.name}.{name}: {message}")
        by_name[name] = r
    if crashes:
        # After one failed query DuckDB aborts GX's transaction and later queries only say so:
        # name the root cause first.
        crashes.sort(key=lambda m: "transaction is aborted" in m)
        more = f" (and {len(crashes) - 1} more)" if len(crashes) > 1 else ""
        raise QualityGateCrash(crashes[0] + more)
    missing = [c.name for c in suite.checks if c.name not in by_name]
    if missing:
        raise QualityGateCrash(f"{suite.name}: GX returned no result for {', '.join(missing)}")
    return [_finding(suite.name, c, by_name[c.name]) for c in suite.checks]


def _finding(suite: str, check: Check, r: Any) -> QualityFinding:
    result = dict(r.result or {})
    details = result.get("details") or {}
    if check.whole_batch:  # row count: the batch as a whole fails or not
        count = 0 if r.success else 1
        first_row, first_value = None, None
    else:
        count = int(result.get("observed_value") or 0)
        first_row = details.get("first_row")
        first_value = details.get("first_value")
    return QualityFinding(
        suite=suite,
        expectation=check.name,
        success=bool(r.success),
        unexpected_count=count,
        rule=check.rule,
        column=check.column,
        first_row=None if first_row is None else int(first_row),
        first_value=None if first_value is None else str(first_value),
        details=check.details,
        severity=check.severity,
    )
