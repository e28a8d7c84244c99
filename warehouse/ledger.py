"""The ingest ledger: file fingerprints, batch ids, and the ops rows written for each batch.

Every write here runs inside the caller's transaction: the ledger row of a batch commits with its
raw rows (accepted) or its rejection rows (rejected), never alone.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb

from warehouse.ingest_types import Finding

HASH_CHUNK = 8 << 20


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(HASH_CHUNK):
            digest.update(chunk)  # hashlib releases the GIL on large buffers
    return digest.hexdigest()


def new_batch_id(kind: str | None, sha256: str, at: datetime) -> str:
    """Readable and unique: when, what, which file, plus 4 random hex digits."""
    return f"{at:%Y%m%dT%H%M%S}-{kind or 'unknown'}-{sha256[:8]}-{secrets.token_hex(2)}"


def accepted_batch_for(con: duckdb.DuckDBPyConnection, sha256: str, kind: str | None) -> str | None:
    """The batch that already loaded this exact file content as this kind, if any: the same
    bytes under another kind's name are another file (and checked as that kind)."""
    rows = con.execute(
        "SELECT batch_id FROM ops.ingest_ledger WHERE sha256 = ? AND kind IS NOT DISTINCT FROM ? "
        "AND status = 'accepted' ORDER BY finished_at LIMIT 1",
        [sha256, kind],
    ).fetchall()
    return rows[0][0] if rows else None


@dataclass(frozen=True)
class LedgerEntry:
    batch_id: str
    kind: str | None
    file_name: str
    file_path: str
    file_format: str | None
    encoding: str | None
    sha256: str
    size_bytes: int
    rows: int | None
    status: str
    reason: str | None
    warnings: int
    started_at: datetime
    finished_at: datetime

    @property
    def duration_s(self) -> float:
        return (self.finished_at - self.started_at).total_seconds()


def write_ledger(con: duckdb.DuckDBPyConnection, e: LedgerEntry) -> None:
    con.execute(
        "INSERT INTO ops.ingest_ledger (batch_id, kind, file_name, file_path, file_format, "
        "encoding, sha256, size_bytes, rows, status, reason, warnings, started_at, finished_at, "
        "duration_s) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            e.batch_id,
            e.kind,
            e.file_name,
            e.file_path,
            e.file_format,
            e.encoding,
            e.sha256,
            e.size_bytes,
            e.rows,
            e.status,
            e.reason,
            e.warnings,
            e.started_at,
            e.finished_at,
            e.duration_s,
        ],
    )


def _finding_rows(batch_id: str, file_name: str, findings: list[Finding]) -> list[list[object]]:
    return [[batch_id, file_name, f.row, f.column, f.value, f.rule, f.message] for f in findings]


def write_findings(
    con: duckdb.DuckDBPyConnection,
    table: str,
    batch_id: str,
    file_name: str,
    findings: list[Finding],
) -> None:
    """One row per finding into ops.rejections or ops.ingest_warnings."""
    assert table in ("ops.rejections", "ops.ingest_warnings")
    rows = _finding_rows(batch_id, file_name, findings)
    if rows:
        con.executemany(
            f"INSERT INTO {table} (batch_id, file_name, row_number, column_name, value, rule, "
            "message) VALUES (?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
