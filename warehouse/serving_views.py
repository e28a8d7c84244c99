"""The views BI tools query: one per dataset over its Parquet file, then the model views.

The model views (views/serving/<name>.sql) only name datasets and other views, so the same SQL
runs over a published version's Parquet or, as temporary views, over the live warehouse.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb

from warehouse.serving_datasets import DATASETS, sql_literal
from warehouse.serving_layout import fsync_path

SERVING_VIEWS_DIR = Path(__file__).parent / "views" / "serving"

# Oldest storage format: DuckDB 1.x clients (older BI drivers) can open the serving file too.
SERVING_STORAGE_VERSION = "v1.0.0"


@dataclass(frozen=True)
class ServingView:
    name: str
    grain: str

    @property
    def sql(self) -> str:
        return (SERVING_VIEWS_DIR / f"{self.name}.sql").read_text(encoding="utf-8")


# In dependency order: a view may only name datasets and the views before it.
SERVING_VIEWS: tuple[ServingView, ...] = (
    ServingView("current_snapshot", "customs_code (latest as_of)"),
    ServingView("enterprise_history", "customs_code x as_of"),
    ServingView("snapshot_changes", "customs_code x as_of (vs prev_as_of)"),
    ServingView("rule_findings", "customs_code x as_of x rule_id"),
    ServingView("indicators", "customs_code x as_of"),
    ServingView("current_blockers", "customs_code x rule_id (latest as_of)"),
)


def parquet_view_statements(version_dir: Path) -> list[str]:
    """One view per dataset over that version's Parquet, by absolute path (cwd-independent)."""
    base = version_dir.resolve()
    return [
        f"CREATE VIEW {ds.name} AS "
        f"SELECT * FROM read_parquet({sql_literal(str(base / ds.file_name))})"
        for ds in DATASETS
    ]


def model_view_statements(temp: bool = False) -> list[str]:
    kind = "TEMP VIEW" if temp else "VIEW"
    return [f"CREATE {kind} {v.name} AS\n{v.sql}" for v in SERVING_VIEWS]


def warehouse_view_statements() -> list[str]:
    """The serving views as TEMP views over the warehouse (works on a read-only connection)."""
    datasets = [f"CREATE TEMP VIEW {ds.name} AS\n{ds.sql}" for ds in DATASETS]
    return datasets + model_view_statements(temp=True)


def views_script(version_dir: Path) -> str:
    """The whole view set as a SQL script: any DuckDB (1.x too) can rebuild it in memory."""
    return ";\n\n".join(parquet_view_statements(version_dir) + model_view_statements()) + ";\n"


def build_serving_db(
    path: Path,
    *,
    version: str,
    version_dir: Path,
    rows: dict[str, int],
    published_at: datetime,
    source_warehouse: str,
) -> None:
    """Write the serving file at `path` (not yet visible to readers) and check it answers."""
    con = duckdb.connect(
        config={"autoinstall_known_extensions": False, "autoload_known_extensions": False}
    )
    try:
        con.execute(
            f"ATTACH {sql_literal(str(path))} AS serving "
            f"(STORAGE_VERSION {sql_literal(SERVING_STORAGE_VERSION)})"
        )
        con.execute("USE serving")
        for stmt in parquet_view_statements(version_dir) + model_view_statements():
            con.execute(stmt)
        _write_info_tables(con, version, version_dir, rows, published_at, source_warehouse)
        _check_views(con, rows)
        con.execute("CHECKPOINT serving")
        con.execute("USE memory")
        con.execute("DETACH serving")
    finally:
        con.close()
    fsync_path(path)


def _write_info_tables(
    con: duckdb.DuckDBPyConnection,
    version: str,
    version_dir: Path,
    rows: dict[str, int],
    published_at: datetime,
    source_warehouse: str,
) -> None:
    con.execute(
        """CREATE TABLE serving_info AS
        SELECT ?::VARCHAR AS version, ?::TIMESTAMP AS published_at_utc,
               (SELECT max(as_of) FROM eligibility_snapshot) AS latest_as_of,
               (SELECT count(DISTINCT as_of) FROM eligibility_snapshot) AS as_of_count,
               (SELECT count(*) FROM enterprises) AS enterprises,
               ?::VARCHAR AS version_dir, ?::VARCHAR AS source_warehouse,
               ?::VARCHAR AS written_by_duckdb""",
        [
            version,
            published_at.replace(tzinfo=None),
            str(version_dir.resolve()),
            source_warehouse,
            duckdb.__version__,
        ],
    )
    con.execute(
        """CREATE TABLE serving_datasets (
            name VARCHAR, kind VARCHAR, grain VARCHAR, rows BIGINT, parquet_file VARCHAR)"""
    )
    for ds in DATASETS:
        con.execute(
            "INSERT INTO serving_datasets VALUES (?, 'parquet', ?, ?, ?)",
            [ds.name, ds.grain, rows[ds.name], str(version_dir.resolve() / ds.file_name)],
        )
    for v in SERVING_VIEWS:
        con.execute(
            "INSERT INTO serving_datasets VALUES (?, 'view', ?, NULL, NULL)", [v.name, v.grain]
        )


def _check_views(con: duckdb.DuckDBPyConnection, rows: dict[str, int]) -> None:
    """Every view binds, and every dataset view returns the rows exported: refuse otherwise."""
    for ds in DATASETS:
        got = con.sql(f"SELECT count(*) FROM {ds.name}").fetchall()[0][0]
        if got != rows[ds.name]:
            raise RuntimeError(f"serving view {ds.name}: {got} rows, exported {rows[ds.name]}")
    for v in SERVING_VIEWS:
        con.sql(f"SELECT * FROM {v.name} LIMIT 0").fetchall()
