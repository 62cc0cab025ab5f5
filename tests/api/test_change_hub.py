"""The change hub: numbering, filters, a slow subscriber cut off, shutdown ending every stream."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from hatchetd.api import change_hub
from hatchetd.api.change_hub import ChangeHub, Ended, Item, Lagged
from hatchetd.contracts.changes import Change, ChangeKind
from hatchetd.contracts.enums import RunStatus, TriggerKind
from hatchetd.contracts.events import Event
from hatchetd.contracts.runs import RunStepLog, StepLog, WorkflowRun

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def event(n: int) -> Event:
    return Event(id=f"e{n}", key="user:create", data={"n": n}, created_at=T0)


def run(run_id: str, status: RunStatus) -> WorkflowRun:
    return WorkflowRun(
        id=run_id,
        workflow_name="w",
        workflow_version_id="v",
        trigger=TriggerKind.EVENT,
        status=status,
        created_at=T0,
    )


def drain(queue: asyncio.Queue[Item]) -> list[Item]:
    items = []
    while not queue.empty():
        items.append(queue.get_nowait())
    return items


def test_changes_are_numbered_and_filtered() -> None:
    hub = ChangeHub()
    everything = hub.subscribe()
    runs_of_r1 = hub.subscribe([ChangeKind.RUN], run_ids=["r1"])
    hub.publish([event(1), run("r1", RunStatus.RUNNING), run("r2", RunStatus.RUNNING)], T0)
    hub.publish([run("r1", RunStatus.SUCCEEDED)], T0)

    seen = drain(everything.queue)
    assert [c.seq for c in seen if isinstance(c, Change)] == [1, 2, 3, 4]
    assert next(c.kind for c in seen if isinstance(c, Change)) is ChangeKind.EVENT
    mine = [c for c in drain(runs_of_r1.queue) if isinstance(c, Change)]
    assert [(c.id, c.status) for c in mine] == [("r1", "RUNNING"), ("r1", "SUCCEEDED")]
    assert mine[1].record["status"] == "SUCCEEDED"


def test_a_log_line_is_a_step_log_change_of_its_run() -> None:
    hub = ChangeHub()
    of_r1 = hub.subscribe(run_ids=["r1"])
    line = RunStepLog(workflow_run_id="r1", step_run_id="s1", at=T0, line="hello")
    hub.publish([line, line.model_copy(update={"workflow_run_id": "r2"})], T0)

    (change,) = drain(of_r1.queue)
    assert isinstance(change, Change)
    assert (change.kind, change.id, change.run_id, change.status) == (
        ChangeKind.STEP_LOG,
        "s1",
        "r1",
        None,
    )
    assert change.record_model() == line
    assert StepLog.model_validate(change.record) == StepLog(step_run_id="s1", at=T0, line="hello")


def test_a_subscription_may_follow_several_runs() -> None:
    hub = ChangeHub()
    two = hub.subscribe([ChangeKind.RUN], run_ids=["r1", "r3"])
    hub.publish([run(n, RunStatus.RUNNING) for n in ("r1", "r2", "r3")], T0)
    assert [c.id for c in drain(two.queue) if isinstance(c, Change)] == ["r1", "r3"]


def test_numbers_keep_counting_while_nobody_listens() -> None:
    hub = ChangeHub()
    hub.publish([event(1), event(2)], T0)
    late = hub.subscribe()
    hub.publish([event(3)], T0)
    (change,) = drain(late.queue)
    assert isinstance(change, Change)
    assert change.seq == 3


def test_a_subscriber_that_falls_behind_is_cut_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(change_hub, "QUEUE_LIMIT", 3)
    hub = ChangeHub()
    slow = hub.subscribe()
    hub.publish([event(n) for n in range(5)], T0)
    items = drain(slow.queue)
    assert [type(i).__name__ for i in items] == ["Change", "Change", "Change", "Lagged"]
    hub.publish([event(9)], T0)
    assert slow.queue.empty()  # gone from the hub
    assert isinstance(items[-1], Lagged)


def test_closing_ends_every_stream_and_new_ones_at_once() -> None:
    hub = ChangeHub()
    open_one = hub.subscribe()
    hub.close()
    assert isinstance(open_one.queue.get_nowait(), Ended)
    assert isinstance(hub.subscribe().queue.get_nowait(), Ended)
