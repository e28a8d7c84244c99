"""The datasets a publish copies out of the warehouse, one Parquet file each.

Each dataset is a query in views/datasets/<name>.sql over the warehouse's marts and staging
schemas. The same queries serve as temporary views when a report reads the warehouse directly.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb

DATASETS_DIR = Path(__file__).parent / "views" / "datasets"

# Parquet written so that DuckDB 1.x, polars and pandas (pyarrow) all read it: zstd, format v1
# pages (the default), plain logical types only (no UUID/VARIANT/GEOMETRY columns in the marts).
PARQUET_OPTIONS = "FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 1000000"


@dataclass(frozen=True)
class Dataset:
    name: str
    grain: str

    @property
    def sql(self) -> str:
        return (DATASETS_DIR / f"{self.name}.sql").read_text(encoding="utf-8")

    @property
    def file_name(self) -> str:
        return f"{self.name}.parquet"


DATASETS: tuple[Dataset, ...] = (
    Dataset("eligibility_snapshot", "customs_code x as_of"),
    Dataset("rule_results", "customs_code x as_of x rule_id"),
    Dataset("enterprise_indicators", "customs_code x as_of"),
    Dataset("evaluations", "as_of"),
    Dataset("enterprises", "customs_code"),
    Dataset("cases", "case_id"),
    Dataset("liabilities", "liability_id"),
    Dataset("certification_events", "customs_code x event_type x event_date"),
    Dataset("filings", "filing_id"),
    Dataset("control_assessments", "customs_code x item_code x assessed_date"),
    Dataset("financials", "customs_code x fiscal_year"),
    Dataset("declarations_monthly", "customs_code x role x month x doc_kind"),
    Dataset("declaration_errors_quarterly", "customs_code x quarter"),
)


def sql_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def export_datasets(cur: duckdb.DuckDBPyConnection, out_dir: Path) -> dict[str, int]:
    """Write every dataset to out_dir as Parquet; returns rows per dataset.

    The caller runs this inside one transaction so all files come from the same committed state
    (a snapshot and its rule results always agree).
    """
    rows: dict[str, int] = {}
    for ds in DATASETS:
        target = sql_literal(str(out_dir / ds.file_name))
        result = cur.execute(f"COPY ({ds.sql}\n) TO {target} ({PARQUET_OPTIONS})").fetchall()
        rows[ds.name] = int(result[0][0]) if result else 0
    return rows
