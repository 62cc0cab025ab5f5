"""`Store.observe`: every record written is reported as written; guarded no-ops are not."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from hatchetd.contracts.enums import RunStatus, StepRunStatus, WorkerStatus
from hatchetd.contracts.events import NewEvent
from hatchetd.contracts.runs import NewRun, RunChange, RunStepLog, StepRunChange, WorkflowRun
from hatchetd.contracts.workers import Worker
from hatchetd.contracts.workflows import Workflow, WorkflowVersion
from hatchetd.store import IdempotencyKeyTaken, Store
from hatchetd.store.protocol import Written

T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def seen(store: Store) -> list[Written]:
    records: list[Written] = []
    store.observe(records.append)
    return records


def kinds(records: list[Written]) -> list[str]:
    return [type(r).__name__ for r in records]


def test_creations_report_each_record(
    store: Store,
    seen: list[Written],
    *,
    new_event: Callable[..., NewEvent],
    new_run: Callable[..., NewRun],
    new_worker: Callable[..., Worker],
    version: WorkflowVersion,
) -> None:
    (event,) = store.create_events([new_event(data={"a": 1})])
    run = new_run(jobs=("a", "b"))
    store.create_runs([run])
    worker = new_worker()
    store.save_worker(worker)
    store.save_workflow(
        Workflow(
            name="sign-up", current_version_id=version.id, active=True, file="s.yaml", updated_at=T0
        )
    )
    assert kinds(seen) == [
        "Event",
        "WorkflowRun",
        "JobRun",
        "JobRun",
        "StepRun",
        "StepRun",
        "Worker",
        "Workflow",
    ]
    assert seen[0] == event
    assert seen[1] == run.run


def test_updates_report_the_record_as_written_and_guarded_no_ops_nothing(
    store: Store,
    seen: list[Written],
    new_run: Callable[..., NewRun],
    new_worker: Callable[..., Worker],
) -> None:
    run = new_run()
    store.create_runs([run])
    seen.clear()
    step = run.step_runs[0]
    assigned = store.update_step_run(
        step.id,
        StepRunChange(status=StepRunStatus.ASSIGNED, worker_id="w1", assigned_at=T0),
        from_statuses=[StepRunStatus.PENDING_ASSIGNMENT],
    )
    again = store.update_step_run(
        step.id,
        StepRunChange(status=StepRunStatus.ASSIGNED),
        from_statuses=[StepRunStatus.PENDING_ASSIGNMENT],
    )
    assert again is None
    started = store.update_workflow_run(
        run.run.id, RunChange(status=RunStatus.RUNNING, started_at=T0)
    )
    job = store.update_job_run(run.job_runs[0].id, RunChange(status=RunStatus.RUNNING))
    worker = new_worker()
    store.save_worker(worker)
    lost = store.set_worker_status(worker.id, WorkerStatus.LOST)
    assert seen == [assigned, started, job, worker, lost]
    assert isinstance(seen[1], WorkflowRun)
    assert seen[1].status is RunStatus.RUNNING


def test_log_lines_are_reported_with_their_run(
    store: Store, seen: list[Written], new_run: Callable[..., NewRun]
) -> None:
    run = new_run()
    store.create_runs([run])
    seen.clear()
    lines = [
        RunStepLog(workflow_run_id=run.run.id, step_run_id=run.step_runs[0].id, at=T0, line=t)
        for t in ("one", "two")
    ]
    store.append_step_logs(lines)
    assert seen == lines


def test_a_refused_write_reports_nothing(
    store: Store, seen: list[Written], new_event: Callable[..., NewEvent]
) -> None:
    store.create_events([new_event(idempotency_key="k")])
    seen.clear()
    with pytest.raises(IdempotencyKeyTaken):
        store.create_events([new_event(idempotency_key="k")])
    assert seen == []
