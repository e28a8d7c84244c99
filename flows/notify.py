"""Alerts: Prefect automations that POST JSON to CUSTOMS_CREDIT_ALERT_WEBHOOK.

Open-source Prefect runs automations in its server (triggers + actions services), and its
`CallWebhook` action calls a `Webhook` block; that works offline against any reachable URL,
loopback included (measured in tests/test_orchestration.py). So alerts are server-side
automations, not flow hooks: they also fire when a run crashes before any of our code runs
(missing module, killed process), which an on_failure hook cannot see.

Two automations, re-created at every `serve` start from the current setting:
- "customs-credit: run failed"     on prefect.flow-run.Failed / Crashed of our flows;
- "customs-credit: batch rejected" on customs.batch.rejected (a refused file is not a failed
  run, but someone has to fix it at the source).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from flows.deployments_events import BATCH_REJECTED

WEBHOOK_ENV = "CUSTOMS_CREDIT_ALERT_WEBHOOK"
WEBHOOK_BLOCK = "customs-credit-alert"
FAILED_AUTOMATION = "customs-credit: run failed"
REJECTED_AUTOMATION = "customs-credit: batch rejected"
OUR_FLOWS = ["nightly", "ingest-file", "refresh", "publish", "evaluate"]

# Rendered by the server (Jinja, sandboxed); tojson keeps the body valid JSON whatever the
# message holds.
FAILED_PAYLOAD = """{
  "source": "customs-credit",
  "kind": "run_failed",
  "text": {{ ("customs-credit: " ~ flow.name ~ " run " ~ flow_run.name ~ " "
              ~ flow_run.state.name) | tojson }},
  "flow": {{ flow.name | tojson }},
  "flow_run": {{ flow_run.name | tojson }},
  "flow_run_id": "{{ flow_run.id }}",
  "state": {{ flow_run.state.name | tojson }},
  "message": {{ flow_run.state.message | tojson }},
  "parameters": {{ flow_run.parameters | tojson }},
  "event": "{{ event.event }}",
  "occurred": "{{ event.occurred }}"
}"""

REJECTED_PAYLOAD = """{
  "source": "customs-credit",
  "kind": "batch_rejected",
  "text": {{ ("customs-credit: file " ~ event.payload.file_name ~ " rejected: "
              ~ event.payload.reason) | tojson }},
  "file_name": {{ event.payload.file_name | tojson }},
  "batch_id": {{ event.payload.batch_id | tojson }},
  "reason": {{ event.payload.reason | tojson }},
  "occurred": "{{ event.occurred }}"
}"""


@dataclass(frozen=True)
class AlertSetup:
    webhook_url: str | None
    automations: tuple[str, ...]


def webhook_url_from_env() -> str | None:
    return os.environ.get(WEBHOOK_ENV) or None


def _delete_automation(name: str) -> None:
    from prefect.automations import Automation

    while True:  # names are not unique in Prefect: remove every copy
        try:
            Automation.read(name=name).delete()
        except ValueError:
            return


def ensure_alerting(webhook_url: str | None) -> AlertSetup:
    """(Re)create the webhook block and both automations; remove them when no URL is set."""
    from prefect.automations import Automation
    from prefect.blocks.webhook import Webhook
    from prefect.events.actions import CallWebhook
    from prefect.events.schemas.automations import EventTrigger, Posture

    for name in (FAILED_AUTOMATION, REJECTED_AUTOMATION):
        _delete_automation(name)
    if not webhook_url:
        return AlertSetup(None, ())
    block = Webhook(
        method="POST",
        url=webhook_url,
        headers={"Content-Type": "application/json"},
        allow_private_urls=True,  # an on-premises receiver is the usual case
    )
    block_id = block.save(WEBHOOK_BLOCK, overwrite=True)
    failed = Automation(
        name=FAILED_AUTOMATION,
        description="POST to the alert webhook when a customs-credit flow run fails or crashes",
        trigger=EventTrigger(
            expect={"prefect.flow-run.Failed", "prefect.flow-run.Crashed"},
            match={"prefect.resource.id": "prefect.flow-run.*"},
            match_related={"prefect.resource.role": "flow", "prefect.resource.name": OUR_FLOWS},
            posture=Posture.Reactive,
            threshold=1,
            within=0,
        ),
        actions=[CallWebhook(block_document_id=block_id, payload=FAILED_PAYLOAD)],
    ).create()
    rejected = Automation(
        name=REJECTED_AUTOMATION,
        description="POST to the alert webhook when a landed file is rejected",
        trigger=EventTrigger(
            expect={BATCH_REJECTED},
            match={"prefect.resource.id": "customs.batch.*"},
            posture=Posture.Reactive,
            threshold=1,
            within=0,
        ),
        actions=[CallWebhook(block_document_id=block_id, payload=REJECTED_PAYLOAD)],
    ).create()
    return AlertSetup(webhook_url, (failed.name, rejected.name))
