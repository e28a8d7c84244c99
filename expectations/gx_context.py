"""Great Expectations, loaded once per process: the ephemeral context and our expectation class.

`import great_expectations` costs ~3 s, so nothing here runs at import time; the first call pays
for it and later calls reuse the same context.
"""

from __future__ import annotations

import functools
import gc
import threading
from dataclasses import dataclass
from typing import Any

# GX's ephemeral context is not documented as thread-safe; validations take turns.
LOCK = threading.RLock()


@dataclass(frozen=True)
class GX:
    module: Any  # great_expectations
    context: Any  # EphemeralDataContext
    row_check: type  # ExpectNoRowsBreakingCheck
    row_count: type  # ExpectTableRowCountToBeBetween


@functools.cache
def gx_runtime() -> GX:
    from warehouse.settings import force_offline

    force_offline()  # GX_ANALYTICS_ENABLED must be set before the import

    import great_expectations as gx
    import great_expectations.expectations as gxe
    from great_expectations.data_context.types.base import ProgressBarsConfig

    from expectations import gx_patch

    gx_patch.apply()
    context = gx.get_context(mode="ephemeral")
    # tqdm bars on stderr would clutter the CLI and Prefect logs.
    context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    runtime = GX(gx, context, _row_check_class(), gxe.ExpectTableRowCountToBeBetween)
    # GX, pandera and polars leave ~300k long-lived objects that every full garbage collection
    # walks (~0.2 s each here; one landed in a 10M-row ingest's Data Docs step, 0.1 -> 0.35 s).
    # They live as long as the process: moved out of the collector's sight, once.
    gc.freeze()
    return runtime


def _row_check_class() -> type:
    """An UnexpectedRowsExpectation whose query returns one summary row (count, first row, value).

    The stock class resolves two metrics, `.row_count` (COUNT(*) over the query) and `.table`
    (the rows), so every check scans the batch twice. Our queries aggregate, so the `.table`
    metric alone carries everything: one scan per check.
    """
    from typing import ClassVar

    from great_expectations.expectations import UnexpectedRowsExpectation

    class ExpectNoRowsBreakingCheck(UnexpectedRowsExpectation):
        """Passes when the summary query returns no row; the row holds the failure summary."""

        metric_dependencies: ClassVar[tuple[str, ...]] = ("unexpected_rows_query.table",)

        def _validate(
            self,
            metrics: dict,
            runtime_configuration: dict | None = None,
            execution_engine: Any = None,
        ) -> dict:
            rows = metrics["unexpected_rows_query.table"] or []
            if len(rows) > 1:
                raise ValueError(f"summary query returned {len(rows)} rows, expected 0 or 1")
            summary = rows[0] if rows else {}
            count = int(summary.get("unexpected_count") or 0)
            return {
                "success": count == 0,
                "result": {
                    "observed_value": count,
                    "details": {
                        "first_row": summary.get("first_row"),
                        "first_value": summary.get("first_value"),
                    },
                },
            }

    return ExpectNoRowsBreakingCheck
