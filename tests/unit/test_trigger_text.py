"""What started a run, as the CLI's tables and traces and the TUI show it."""

from __future__ import annotations

from datetime import UTC, datetime

from hatchet_cli._cells import trigger_text
from hatchetd.contracts.enums import TriggerKind
from hatchetd.contracts.runs import WorkflowRun

AT = datetime(2026, 12, 4, 3, 0, tzinfo=UTC)
EVENT_ID = "3f2a9c1e-0000-4000-8000-000000000001"


def run(trigger: TriggerKind, **fields: object) -> WorkflowRun:
    return WorkflowRun.model_validate(
        {
            "id": "r",
            "workflow_name": "w",
            "workflow_version_id": "v",
            "trigger": trigger,
            "created_at": AT,
            **fields,
        }
    )


def test_an_event_run_names_its_event_short_or_whole() -> None:
    by_event = run(TriggerKind.EVENT, event_id=EVENT_ID)

    assert trigger_text(by_event) == "event 3f2a9c1e"
    assert trigger_text(by_event, full_ids=True) == f"event {EVENT_ID}"


def test_a_cron_run_names_its_tick() -> None:
    assert trigger_text(run(TriggerKind.CRON, cron_tick_at=AT)) == "cron 2026-12-04 03:00:00"


def test_a_run_started_by_hand_says_manual() -> None:
    assert trigger_text(run(TriggerKind.MANUAL, input={"day": "x"})) == "manual"
