"""The served deployments, declared in Python: what runs when.

    nightly/nightly       cron 02:00 Asia/Shanghai: ingest pending files, evaluate, publish
    ingest-file/ingest    on customs.file.landed: one file, path from the event payload
    refresh/refresh       on customs.batch.accepted: evaluate + publish (debounced in the flow)
    publish/publish       on demand (UI or `prefect deployment run publish/publish`)

Every deployment has concurrency_limit=1 (runs of one deployment queue, never overlap), and the
flows take the global "warehouse-writer" slot around each warehouse session, so runs of different
deployments queue too. Entry points are module paths, so a run finds its code wherever the
project is installed, whatever the working directory of `serve`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from flows.deployments_events import BATCH_ACCEPTED, FILE_LANDED, REFRESH_REQUESTED

SHANGHAI = "Asia/Shanghai"
DEFAULT_NIGHTLY_CRON = "0 2 * * *"
TAGS = ["customs-credit"]


@dataclass(frozen=True)
class DeploymentOptions:
    warehouse: str
    nightly_cron: str = DEFAULT_NIGHTLY_CRON
    timezone: str = SHANGHAI
    as_of: str | None = None  # pin the evaluation date (demos, tests); None = today in Shanghai
    refresh_quiet_s: float = 1.0


def build_deployments(opts: DeploymentOptions) -> list[Any]:
    """RunnerDeployments for `prefect.serve(...)`."""
    from prefect.events import DeploymentEventTrigger
    from prefect.events.schemas.automations import Posture
    from prefect.schedules import Cron
    from prefect.types.entrypoint import EntrypointType

    from flows.deployments_ingest import ingest_file_flow
    from flows.deployments_refresh import refresh
    from flows.nightly import nightly
    from flows.publish_flow import publish_flow

    common: dict[str, Any] = {
        "concurrency_limit": 1,
        "tags": TAGS,
        "entrypoint_type": EntrypointType.MODULE_PATH,
    }
    nightly_dep = nightly.to_deployment(
        name="nightly",
        schedules=[Cron(opts.nightly_cron, timezone=opts.timezone)],
        parameters={"as_of": opts.as_of, "warehouse": opts.warehouse},
        description=f"Ingest pending files, evaluate, publish; {opts.nightly_cron} "
        f"({opts.timezone}).",
        **common,
    )
    ingest_dep = ingest_file_flow.to_deployment(
        name="ingest",
        parameters={"warehouse": opts.warehouse, "as_of": opts.as_of},
        triggers=[
            DeploymentEventTrigger(
                name="file landed",
                expect={FILE_LANDED},
                match={"prefect.resource.id": "customs.landing.*"},
                parameters={"path": "{{ event.payload.path }}"},
                posture=Posture.Reactive,
                threshold=1,
                within=dt.timedelta(0),  # every event is its own run
            )
        ],
        description="Load one landed file (triggered by customs.file.landed).",
        **common,
    )
    refresh_dep = refresh.to_deployment(
        name="refresh",
        parameters={
            "as_of": opts.as_of,
            "warehouse": opts.warehouse,
            "quiet_s": opts.refresh_quiet_s,
        },
        triggers=[
            DeploymentEventTrigger(
                name="batch accepted",
                expect={BATCH_ACCEPTED, REFRESH_REQUESTED},
                posture=Posture.Reactive,
                threshold=1,
                # Every event starts a run (a `within` window would drop events, see
                # flows/deployments_refresh.py); the flow debounces and coalesces the queue.
                within=dt.timedelta(0),
            )
        ],
        description="Evaluate and publish after accepted batches (debounced, coalescing).",
        **common,
    )
    publish_dep = publish_flow.to_deployment(
        name="publish",
        parameters={"warehouse": opts.warehouse},
        description="Publish the BI serving copy on demand.",
        **common,
    )
    return [nightly_dep, ingest_dep, refresh_dep, publish_dep]


def deploy_to_pool(opts: DeploymentOptions, pool: str) -> list[Any]:
    """Register the same deployments to a process work pool (created if missing), for
    `prefect worker start --pool <pool>` to run instead of `serve`'s own runner."""
    from prefect import get_client
    from prefect.client.schemas.actions import WorkPoolCreate
    from prefect.deployments import deploy
    from prefect.exceptions import ObjectNotFound
    from prefect.workers.process import ProcessWorker

    with get_client(sync_client=True) as client:
        try:
            client.read_work_pool(pool)
        except ObjectNotFound:
            client.create_work_pool(
                WorkPoolCreate(
                    name=pool,
                    type="process",
                    base_job_template=ProcessWorker.get_default_base_job_template(),
                )
            )
    return deploy(
        *build_deployments(opts),
        work_pool_name=pool,
        build=False,
        push=False,
        print_next_steps_message=False,
        ignore_warnings=True,
    )
