"""Where a report reads from: the published serving file, or the warehouse read-only.

Both expose the same names (eligibility_snapshot, rule_findings, control_assessments, ...): over
the warehouse they are temporary views built from the same SQL the publish uses, so report queries
do not care which one they got.
"""

from __future__ import annotations

from typing import Literal

import duckdb

from warehouse.errors import UserError, WarehouseBusy
from warehouse.serving_layout import ServingLayout
from warehouse.serving_views import warehouse_view_statements
from warehouse.settings import Settings

Source = Literal["auto", "serving", "warehouse"]
SOURCES: tuple[str, ...] = ("auto", "serving", "warehouse")


def open_source(
    settings: Settings, source: Source = "auto"
) -> tuple[duckdb.DuckDBPyConnection, str]:
    """A read-only connection and a one-line description of what it reads.

    auto: the serving copy when one is published (it never blocks the pipeline), else the
    warehouse read-only (which needs the pipeline not to be writing at that moment).
    """
    layout = ServingLayout(settings.serving)
    if source == "serving" or (source == "auto" and layout.serving_db.exists()):
        if not layout.serving_db.exists():
            raise UserError(f"no serving copy at {layout.serving_db}: run `customs-credit publish`")
        con = duckdb.connect(
            str(layout.serving_db),
            read_only=True,
            config={"autoinstall_known_extensions": False, "autoload_known_extensions": False},
        )
        version = con.sql("SELECT version FROM serving_info").fetchall()[0][0]
        return con, f"serving copy {version}"
    return _open_warehouse(settings), f"warehouse {settings.warehouse.name}"


def _open_warehouse(settings: Settings) -> duckdb.DuckDBPyConnection:
    from warehouse.connection import connect

    if not settings.warehouse.exists():
        raise UserError(f"no warehouse at {settings.warehouse}: ingest and evaluate first")
    try:
        con = connect(settings, read_only=True)
    except WarehouseBusy as exc:
        raise WarehouseBusy(
            f"{exc} A published serving copy (`customs-credit publish`) can be read meanwhile."
        ) from None
    except duckdb.IOException as exc:
        raise UserError(
            "the warehouse is being written by the pipeline; publish a serving copy "
            f"(`customs-credit publish`) and report from it: {exc}"
        ) from exc
    try:
        for stmt in warehouse_view_statements():
            con.execute(stmt)
    except duckdb.CatalogException as exc:
        con.close()
        raise UserError(f"the warehouse has no evaluated marts yet: {exc}") from exc
    return con
