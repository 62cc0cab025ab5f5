"""Step runs and their logs: fenced transitions and the questions the engine asks."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.exc import IntegrityError

from hatchetd.contracts.enums import CancelReason, StepRunStatus
from hatchetd.contracts.ids import new_id
from hatchetd.contracts.runs import NewRun, RunStepLog, StepLog, StepRun, StepRunChange
from hatchetd.store import Store

T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
S = StepRunStatus


@pytest.fixture
def job(store: Store, new_run: Callable[..., NewRun]) -> NewRun:
    """A stored run with one job and its first step run (PENDING_ASSIGNMENT)."""
    new = new_run()
    store.create_runs([new])
    return new


def step(job: NewRun, **fields: Any) -> StepRun:
    """Another step run of `job`'s job."""
    fields.setdefault("step_index", 1)
    fields.setdefault("step_id", f"step-{fields['step_index']}")
    fields.setdefault("action", "echo:echo")
    fields.setdefault("created_at", T0)
    return StepRun(id=new_id(), workflow_run_id=job.run.id, job_run_id=job.job_runs[0].id, **fields)


@pytest.mark.parametrize(
    "value",
    [
        {"message": "hi", "nested": {"list": [1, 2.5, None, True]}},
        ["a", "b"],
        "text",
        42,
        None,
    ],
)
def test_json_inputs_and_outputs_come_back_unchanged(
    store: Store, job: NewRun, value: object
) -> None:
    created = step(job, input=value, output=value)
    store.create_step_runs([created])

    assert store.get_step_run(created.id) == created


def test_a_step_run_comes_back_as_stored(store: Store, job: NewRun) -> None:
    created = step(
        job,
        attempt=3,
        status=S.RUNNING,
        worker_id="w-1",
        deadline_at=T0 + timedelta(seconds=15),
        assigned_at=T0,
        started_at=T0 + timedelta(milliseconds=5),
    )
    store.create_step_runs([created])
    store.create_step_runs([])

    assert store.get_step_run(created.id) == created
    assert store.get_step_run("nope") is None


def test_a_step_transition_needs_a_from_status(store: Store, job: NewRun) -> None:
    first = job.step_runs[0]
    assign = StepRunChange(status=S.ASSIGNED, worker_id="w-1", assigned_at=T0)

    refused = store.update_step_run(first.id, assign, from_statuses=[S.PENDING])
    applied = store.update_step_run(first.id, assign, from_statuses=[S.PENDING_ASSIGNMENT])

    assert refused is None
    assert applied == first.model_copy(
        update={"status": S.ASSIGNED, "worker_id": "w-1", "assigned_at": T0}
    )
    assert store.get_step_run(first.id) == applied
    assert store.update_step_run("nope", assign) is None


def test_a_result_from_an_older_attempt_is_fenced_off(store: Store, job: NewRun) -> None:
    retry = step(job, step_index=0, attempt=2, status=S.RUNNING)
    store.create_step_runs([retry])
    done = StepRunChange(status=S.SUCCEEDED, output={"ok": True}, finished_at=T0)

    stale = store.update_step_run(retry.id, done, from_statuses=[S.RUNNING], attempt=1)
    current = store.update_step_run(retry.id, done, from_statuses=[S.RUNNING], attempt=2)

    assert stale is None
    assert current is not None
    assert current.output == {"ok": True}
    assert store.update_step_run(retry.id, done, from_statuses=[S.RUNNING], attempt=2) is None


def test_a_step_transition_writes_only_the_fields_given(store: Store, job: NewRun) -> None:
    created = step(
        job,
        status=S.RUNNING,
        input={"to": "ada"},
        output={"partial": 1},
        error="first try",
        worker_id="w-1",
        deadline_at=T0 + timedelta(seconds=15),
    )
    store.create_step_runs([created])

    changed = store.update_step_run(
        created.id,
        StepRunChange(status=S.CANCELLED, cancel_reason=CancelReason.TIMED_OUT, output=None),
    )
    kept = store.update_step_run(created.id, StepRunChange(), from_statuses=[S.CANCELLED])

    assert changed == created.model_copy(
        update={"status": S.CANCELLED, "cancel_reason": CancelReason.TIMED_OUT, "output": None}
    )
    assert changed.input == {"to": "ada"}
    assert changed.error == "first try"
    assert kept == changed
    assert store.update_step_run(created.id, StepRunChange(), from_statuses=[S.RUNNING]) is None


def test_step_runs_are_found_by_each_filter_oldest_first(
    store: Store, job: NewRun, new_run: Callable[..., NewRun]
) -> None:
    other_job = new_run()
    store.create_runs([other_job])
    a = step(
        job, status=S.PENDING_ASSIGNMENT, action="email:send", created_at=T0 + timedelta(seconds=3)
    )
    b = step(job, status=S.RUNNING, worker_id="w-1", deadline_at=T0 + timedelta(seconds=10))
    c = step(job, status=S.RUNNING, worker_id="w-2", deadline_at=T0 + timedelta(seconds=20))
    d = step(job, status=S.ASSIGNED, worker_id="w-1", created_at=T0 + timedelta(seconds=2))
    store.create_step_runs([a, b, c, d])
    first, other = job.step_runs[0], other_job.step_runs[0]

    def ids(**filters: Any) -> list[str]:
        return [s.id for s in store.list_step_runs(**filters)]

    assert sorted(ids()) == sorted(s.id for s in (a, b, c, d, first, other))
    assert ids(statuses=[S.PENDING_ASSIGNMENT], action="email:send") == [a.id]
    assert set(ids(statuses=[S.PENDING_ASSIGNMENT])) == {first.id, other.id, a.id}
    assert ids(job_run_id=other_job.job_runs[0].id) == [other.id]
    assert ids(worker_id="w-1") == [b.id, d.id]
    assert ids(worker_id="w-1", statuses=[S.RUNNING, S.ASSIGNED]) == ids(worker_id="w-1")
    assert ids(statuses=[S.RUNNING], deadline_before=T0 + timedelta(seconds=10)) == [b.id]
    assert ids(statuses=[S.RUNNING], deadline_before=T0 + timedelta(seconds=9)) == []
    assert ids(deadline_before=T0 + timedelta(seconds=30)) == ids(statuses=[S.RUNNING])
    assert len(ids(limit=2)) == 2
    found = store.list_step_runs()
    assert [(s.created_at, s.id) for s in found] == sorted((s.created_at, s.id) for s in found)
    assert found[-1].id == a.id


def test_step_runs_are_counted_by_state(store: Store, job: NewRun) -> None:
    store.create_step_runs(
        [step(job, status=S.RUNNING), step(job, status=S.RUNNING), step(job, status=S.FAILED)]
    )

    counts = store.count_step_runs()

    assert counts == {S.PENDING_ASSIGNMENT: 1, S.RUNNING: 2, S.FAILED: 1}
    assert all(type(status) is StepRunStatus for status in counts)


def test_log_lines_come_back_in_the_order_stored(store: Store, job: NewRun) -> None:
    mine, theirs = job.step_runs[0], step(job)
    store.create_step_runs([theirs])
    run_id = job.run.id
    lines = [
        RunStepLog(workflow_run_id=run_id, step_run_id=mine.id, at=T0, line=f"line {i}")
        for i in range(5)
    ]
    store.append_step_logs(lines[:3])
    store.append_step_logs(
        [RunStepLog(workflow_run_id=run_id, step_run_id=theirs.id, at=T0, line="other")]
    )
    store.append_step_logs(lines[3:])
    store.append_step_logs([])

    # The store keeps the line; the run it belongs to is its step run's.
    assert store.list_step_logs(mine.id) == [
        StepLog.model_validate(line.model_dump(exclude={"workflow_run_id"})) for line in lines
    ]
    assert [log.line for log in store.list_step_logs(theirs.id)] == ["other"]
    assert store.list_step_logs("nope") == []


def test_clearing_a_required_field_is_refused_and_changes_nothing(
    store: Store, job: NewRun
) -> None:
    first = job.step_runs[0]

    with pytest.raises(IntegrityError):
        store.update_step_run(first.id, StepRunChange(status=None, worker_id="w-1"))

    assert store.get_step_run(first.id) == first
