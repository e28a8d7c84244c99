"""The datasets a publish copies out of the warehouse as Parquet.

Each dataset is a query in views/datasets/<name>.sql over the warehouse's marts and staging
schemas. The same queries serve as temporary views when a report reads the warehouse directly.
The marts' history (by_as_of) is written one file per as_of, <name>/<as_of>.parquet, and a file
whose evaluation (run_id) and rendering are unchanged since the previous version is hard-linked
from it, not written again: a nightly publish writes one day, whatever the history's length.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
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
    by_as_of: bool = False  # one file per evaluated as_of

    @property
    def sql(self) -> str:
        return (DATASETS_DIR / f"{self.name}.sql").read_text(encoding="utf-8")

    @property
    def file_name(self) -> str:
        """Its file, relative to the version folder (a glob for a dataset by as_of)."""
        return f"{self.name}/*.parquet" if self.by_as_of else f"{self.name}.parquet"


DATASETS: tuple[Dataset, ...] = (
    Dataset("eligibility_snapshot", "customs_code x as_of", by_as_of=True),
    Dataset("rule_results", "customs_code x as_of x rule_id", by_as_of=True),
    Dataset("enterprise_indicators", "customs_code x as_of", by_as_of=True),
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


def export_datasets(
    cur: duckdb.DuckDBPyConnection, out_dir: Path, previous: dict | None = None
) -> tuple[dict[str, int], dict[str, dict]]:
    """Write every dataset under out_dir; returns rows per dataset and, for those by as_of, what
    the manifest records of their files (`previous`: the previous version's, to reuse files).

    The caller runs this inside one transaction so all files come from the same committed state
    (a snapshot and its rule results always agree).
    """
    rows: dict[str, int] = {}
    partitioned: dict[str, dict] = {}
    for ds in DATASETS:
        if ds.by_as_of:
            prior = (previous or {}).get(ds.name)
            partitioned[ds.name] = _export_by_as_of(cur, ds, out_dir, prior)
            rows[ds.name] = sum(p["rows"] for p in partitioned[ds.name]["partitions"].values())
            continue
        rows[ds.name] = _copy(cur, ds.sql, out_dir / ds.file_name)
    return rows, partitioned


def _copy(cur: duckdb.DuckDBPyConnection, sql: str, target: Path) -> int:
    result = cur.execute(
        f"COPY ({sql}\n) TO {sql_literal(str(target))} ({PARQUET_OPTIONS})"
    ).fetchall()
    return int(result[0][0]) if result else 0


# The as_of dates the marts hold, with the run that wrote each (NULL: no evaluation row).
AS_OF_RUNS = """
SELECT d.as_of, e.run_id
FROM (SELECT as_of FROM marts.evaluations
      UNION SELECT as_of FROM marts.eligibility_snapshot
      UNION SELECT as_of FROM marts.rule_results_archive) d
LEFT JOIN marts.evaluations e USING (as_of)
ORDER BY d.as_of
"""


def _export_by_as_of(
    cur: duckdb.DuckDBPyConnection, ds: Dataset, out_dir: Path, prior: dict | None
) -> dict:
    folder = out_dir / ds.name
    folder.mkdir()
    render = _render_fingerprint(cur, ds)
    reusable = prior.get("partitions", {}) if prior and prior.get("render") == render else {}
    prior_folder = Path(prior["folder"]) if prior else None
    partitions: dict[str, dict] = {}
    for as_of, run_id in cur.execute(AS_OF_RUNS).fetchall():
        day = as_of.isoformat()
        target = folder / f"{day}.parquet"
        old = reusable.get(day)
        source = prior_folder / target.name if prior_folder else None
        if run_id and old and old["run_id"] == run_id and source and source.exists():
            _link_or_copy(source, target)
            partitions[day] = {"run_id": run_id, "rows": old["rows"]}
        else:
            sql = f"SELECT * FROM ({ds.sql}\n) WHERE as_of = DATE '{day}'"
            partitions[day] = {"run_id": run_id, "rows": _copy(cur, sql, target)}
    if not partitions:  # no history yet: one empty file keeps the schema readable
        _copy(cur, f"SELECT * FROM ({ds.sql}\n) WHERE false", folder / "empty.parquet")
    return {"folder": str(folder), "render": render, "partitions": partitions}


def _render_fingerprint(cur: duckdb.DuckDBPyConnection, ds: Dataset) -> str:
    """What a file's content depends on beyond its evaluation: the dataset's query and columns,
    the marts' views, macros and explanation templates (rule_results renders text), DuckDB's
    version."""
    columns = cur.execute(f"DESCRIBE SELECT * FROM ({ds.sql}\n)").fetchall()
    views = cur.execute(
        "SELECT view_name, sql FROM duckdb_views() WHERE schema_name = 'marts' ORDER BY 1"
    ).fetchall()
    macros = cur.execute(  # the views call them (marts.cny_text)
        "SELECT function_name, macro_definition FROM duckdb_functions() "
        "WHERE schema_name = 'marts' AND function_type = 'macro' ORDER BY 1"
    ).fetchall()
    templates = cur.execute("SELECT * FROM marts.explanation_templates ORDER BY ALL").fetchall()
    text = json.dumps(
        [ds.sql, [c[:2] for c in columns], views, macros, templates, duckdb.__version__],
        default=str,
    )
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _link_or_copy(source: Path, target: Path) -> None:
    """Files of a version are never modified, so versions can share them."""
    try:
        os.link(source, target)
    except OSError:  # a file system without hard links
        shutil.copy2(source, target)
