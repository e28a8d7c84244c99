"""Value types shared by the ingestion modules: a finding, a rejection, a per-file report."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Severity = Literal["error", "warning"]
Status = Literal["accepted", "rejected", "duplicate"]


@dataclass(frozen=True)
class Finding:
    """One problem found in a file: where (row, column, value), which rule, and what it means.

    `row` is the 1-based data row (header excluded), i.e. the batch's source_row; None for
    file-level problems. `count` is how many rows break the same rule in the same column.
    """

    rule: str
    message: str
    column: str | None = None
    row: int | None = None
    value: str | None = None
    count: int = 1
    severity: Severity = "error"
    stage: str = "read"  # read | convert | contract | batch | quality

    def one_line(self) -> str:
        """`row 3, column decided_date, value '2024-01-01': decided_before_opened (...)`."""
        where = []
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column is not None:
            where.append(f"column {self.column}")
        if self.value is not None:
            where.append(f"value {_quote(self.value)}")
        more = f"; {self.count - 1} more rows" if self.count > 1 else ""
        head = ", ".join(where)
        text = f"{self.rule} ({self.message}{more})"
        return f"{head}: {text}" if head else text

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _quote(value: str, limit: int = 60) -> str:
    value = value.replace("\n", "\\n").replace("\r", "\\r")
    if len(value) > limit:
        value = value[: limit - 3] + "..."
    return f"'{value}'"


class BatchRejected(Exception):
    """Raised inside ingestion when a batch must be rejected; carries every error found."""

    def __init__(self, findings: list[Finding]) -> None:
        errors = [f for f in findings if f.severity == "error"]
        if not errors:
            raise ValueError("a rejection needs at least one error finding")
        super().__init__(errors[0].one_line())
        self.findings = findings

    @property
    def first(self) -> Finding:
        return next(f for f in self.findings if f.severity == "error")


@dataclass
class IngestReport:
    batch_id: str | None
    file_name: str
    kind: str | None
    status: Status
    rows: int
    warnings: int
    reason: str | None  # one line, for rejected and duplicate files
    findings: list[Finding] = field(default_factory=list)
    duration_s: float = 0.0
    file_path: str = ""
    moved_to: str | None = None  # where a rejected file was moved
    reason_file: str | None = None  # the `<file>.reason.json` written for a rejected file
    timings: dict[str, float] = field(default_factory=dict)  # seconds per stage

    def line(self) -> str:
        """The one line the CLI prints for this file."""
        base = f"{self.status} {self.file_name}"
        if self.status == "accepted":
            return (
                f"{base}: {self.rows:,d} rows, {self.warnings} warnings, "
                f"{self.duration_s:.2f} s (batch {self.batch_id})"
            )
        return f"{base}: {self.reason}"
