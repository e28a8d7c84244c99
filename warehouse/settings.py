"""Runtime settings: paths and resource limits, from the environment with sensible defaults."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_WAREHOUSE = Path("warehouse/credit.duckdb")

# No telemetry and no downloads, whoever imports us first.
OFFLINE_ENV = {
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "DO_NOT_TRACK": "1",
    "GX_ANALYTICS_ENABLED": "false",
    # The temporary Prefect server migrates its database on first use (~20 s on 2 busy cores):
    # Prefect's default 20 s start-up timeout is too tight for that.
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "120",
}


def force_offline() -> None:
    for key, value in OFFLINE_ENV.items():
        os.environ.setdefault(key, value)


@dataclass(frozen=True)
class Settings:
    warehouse: Path
    landing: Path
    serving: Path
    memory_limit: str
    threads: int
    lock_wait_s: float = 60.0  # how long to wait for another process's hold on the warehouse
    block_pool: str = "256MB"  # memory DuckDB keeps for its blocks instead of returning it

    @property
    def rejected_dir(self) -> Path:
        return self.landing / "rejected"


def load_settings(warehouse: str | os.PathLike[str] | None = None) -> Settings:
    """Settings for one process; `warehouse` overrides CUSTOMS_CREDIT_WAREHOUSE."""
    wh = Path(warehouse or os.environ.get("CUSTOMS_CREDIT_WAREHOUSE") or DEFAULT_WAREHOUSE)
    base = wh.parent
    landing = Path(os.environ.get("CUSTOMS_CREDIT_LANDING") or base / "landing")
    serving = Path(os.environ.get("CUSTOMS_CREDIT_SERVING") or base / "serving")
    return Settings(
        warehouse=wh,
        landing=landing,
        serving=serving,
        memory_limit=os.environ.get("CUSTOMS_CREDIT_MEMORY_LIMIT", "4GB"),
        threads=int(os.environ.get("CUSTOMS_CREDIT_THREADS", str(os.cpu_count() or 2))),
        lock_wait_s=float(os.environ.get("CUSTOMS_CREDIT_LOCK_WAIT", "60")),
        block_pool=os.environ.get("CUSTOMS_CREDIT_BLOCK_POOL", "256MB"),
    )
