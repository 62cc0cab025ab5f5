"""Workflow runs and job runs: created as a tree, read back in order, changed only when guarded."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from hatchetd.contracts.enums import CancelReason, RunStatus, StepRunStatus
from hatchetd.contracts.events import NewEvent
from hatchetd.contracts.ids import new_id
from hatchetd.contracts.runs import NewRun, RunChange, RunQuery, StepRun, WorkflowRun
from hatchetd.contracts.workflows import WorkflowVersion
from hatchetd.store import CronTickTaken, Store

T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
MakeRun = Callable[..., NewRun]


def runs_of(store: Store, query: RunQuery) -> list[WorkflowRun]:
    found: list[WorkflowRun] = []
    while True:
        page = store.list_workflow_runs(query)
        found.extend(page.items)
        if page.next_cursor is None:
            return found
        query = query.model_copy(update={"cursor": page.next_cursor})


def test_a_run_comes_back_with_its_tree_in_order(store: Store, new_run: MakeRun) -> None:
    new = new_run(jobs=("zeta", "alpha", "mid"))
    job = new.job_runs[1]
    retried = [
        StepRun(
            id=new_id(),
            workflow_run_id=new.run.id,
            job_run_id=job.id,
            step_id=step_id,
            step_index=index,
            action="echo:echo",
            attempt=attempt,
            created_at=T0 + timedelta(seconds=10 - index - attempt),
        )
        for step_id, index, attempt in [("b", 2, 1), ("a", 1, 2), ("b", 2, 2), ("a", 1, 1)]
    ]
    store.create_runs([new])
    store.create_step_runs(retried)

    trace = store.get_run_trace(new.run.id)

    assert trace is not None
    assert trace.run == new.run
    assert [j.job_run for j in trace.jobs] == new.job_runs
    alpha = trace.jobs[1].step_runs
    assert [(s.step_index, s.attempt) for s in alpha] == [(0, 1), (1, 1), (1, 2), (2, 1), (2, 2)]
    assert alpha[0] == new.step_runs[1]
    assert [s.step_runs for s in (trace.jobs[0], trace.jobs[2])] == [
        [new.step_runs[0]],
        [new.step_runs[2]],
    ]
    assert store.list_job_runs(new.run.id) == new.job_runs
    assert store.get_job_run(job.id) == job
    assert store.get_workflow_run(new.run.id) == new.run


def test_unknown_runs_find_nothing(store: Store) -> None:
    assert store.get_workflow_run("nope") is None
    assert store.get_run_trace("nope") is None
    assert store.get_job_run("nope") is None
    assert store.list_job_runs("nope") == []
    store.create_runs([])


def test_a_cron_tick_runs_a_workflow_once(store: Store, new_run: MakeRun) -> None:
    tick = T0 + timedelta(minutes=15)
    store.create_runs([new_run(cron_tick_at=tick)])
    innocent, again = new_run(), new_run(cron_tick_at=tick)

    with pytest.raises(CronTickTaken) as raised:
        store.create_runs([innocent, again])

    assert raised.value.workflow_name == "sign-up"
    assert datetime.fromisoformat(raised.value.tick) == tick
    assert store.get_workflow_run(innocent.run.id) is None
    assert store.get_workflow_run(again.run.id) is None
    assert store.list_job_runs(innocent.run.id) == []


def test_other_ticks_other_workflows_and_event_runs_do_not_clash(
    store: Store, new_run: MakeRun, version: WorkflowVersion
) -> None:
    tick = T0 + timedelta(minutes=15)
    other = store.save_workflow_version(
        version.model_copy(update={"id": "sha256:other", "workflow_name": "nightly"})
    )

    store.create_runs(
        [
            new_run(cron_tick_at=tick),
            new_run(cron_tick_at=tick + timedelta(minutes=15)),
            new_run(cron_tick_at=tick, workflow_version=other),
            new_run(),
            new_run(),
        ]
    )

    assert len(runs_of(store, RunQuery())) == 5


def test_a_taken_cron_tick_leaves_the_batch_usable(store: Store, new_run: MakeRun) -> None:
    tick = T0 + timedelta(minutes=15)
    store.create_runs([new_run(cron_tick_at=tick)])
    before, after = new_run(), new_run()

    with store.batch():
        store.create_runs([before])
        with pytest.raises(CronTickTaken):
            store.create_runs([new_run(cron_tick_at=tick)])
        store.create_runs([after])

    assert store.get_workflow_run(before.run.id) is not None
    assert store.get_workflow_run(after.run.id) is not None


def test_runs_are_filtered_by_workflow_status_event_and_time(
    store: Store,
    new_run: MakeRun,
    version: WorkflowVersion,
    new_event: Callable[..., NewEvent],
) -> None:
    other = store.save_workflow_version(
        version.model_copy(update={"id": "sha256:other", "workflow_name": "nightly"})
    )
    event = new_event()
    store.create_events([event])
    runs = [
        new_run(created_at=T0, status=RunStatus.SUCCEEDED, event_id=event.id),
        new_run(created_at=T0 + timedelta(seconds=1), status=RunStatus.FAILED),
        new_run(created_at=T0 + timedelta(seconds=2), status=RunStatus.RUNNING),
        new_run(created_at=T0 + timedelta(seconds=3), workflow_version=other),
    ]
    store.create_runs(runs)
    ids = [r.run.id for r in runs]

    def found(**fields: object) -> list[str]:
        return [r.id for r in runs_of(store, RunQuery.model_validate(fields))]

    assert found() == ids[::-1]
    assert found(workflow_name="nightly") == [ids[3]]
    assert found(statuses=[RunStatus.FAILED, RunStatus.SUCCEEDED]) == [ids[1], ids[0]]
    assert found(event_id=event.id) == [ids[0]]
    assert found(since=T0 + timedelta(seconds=1), until=T0 + timedelta(seconds=3)) == [
        ids[2],
        ids[1],
    ]
    assert found(workflow_name="sign-up", statuses=[RunStatus.RUNNING]) == [ids[2]]


def test_run_paging_visits_every_run_once(store: Store, new_run: MakeRun) -> None:
    runs = [new_run(created_at=T0 + timedelta(seconds=i // 5)) for i in range(120)]
    store.create_runs(runs)

    first = store.list_workflow_runs(RunQuery(limit=50))
    found = runs_of(store, RunQuery(limit=50))

    assert len(first.items) == 50
    assert first.next_cursor is not None
    assert sorted(r.id for r in found) == sorted(r.run.id for r in runs)
    order = [(r.created_at, r.id) for r in found]
    assert order == sorted(order, reverse=True)


def test_a_bad_run_cursor_is_refused(store: Store) -> None:
    with pytest.raises(ValueError, match="invalid cursor"):
        store.list_workflow_runs(RunQuery(cursor="###"))


def test_a_run_id_is_resolved_from_a_prefix(store: Store, new_run: MakeRun) -> None:
    runs = [new_run() for _ in range(3)]
    store.create_runs(runs)
    target = runs[0].run.id

    assert store.resolve_run_id(target[:30]) == [target]
    assert store.resolve_run_id(target[:8]) == [target]  # three random uuids: no collision
    assert store.resolve_run_id("zzz") == []


def test_a_run_transition_needs_the_run_in_a_from_status(store: Store, new_run: MakeRun) -> None:
    new = new_run()
    store.create_runs([new])
    start = RunChange(status=RunStatus.RUNNING, started_at=T0)

    refused = store.update_workflow_run(new.run.id, start, from_statuses=[RunStatus.RUNNING])
    applied = store.update_workflow_run(new.run.id, start, from_statuses=[RunStatus.PENDING])

    assert refused is None
    assert applied == new.run.model_copy(update={"status": RunStatus.RUNNING, "started_at": T0})
    assert store.get_workflow_run(new.run.id) == applied
    assert store.update_workflow_run("nope", start) is None


def test_a_run_transition_writes_only_the_fields_given(store: Store, new_run: MakeRun) -> None:
    new = new_run()
    store.create_runs([new])
    store.update_workflow_run(
        new.run.id, RunChange(status=RunStatus.RUNNING, started_at=T0, error="transient")
    )

    failed = store.update_workflow_run(
        new.run.id,
        RunChange(
            status=RunStatus.CANCELLED, cancel_reason=CancelReason.USER_CANCELLED, error=None
        ),
    )
    unchanged = store.update_workflow_run(new.run.id, RunChange())

    assert failed is not None
    assert failed.status is RunStatus.CANCELLED
    assert failed.cancel_reason is CancelReason.USER_CANCELLED
    assert failed.started_at == T0  # not in the change: kept
    assert failed.error is None  # explicitly None: cleared
    assert unchanged == failed
    assert (
        store.update_workflow_run(new.run.id, RunChange(), from_statuses=[RunStatus.PENDING])
        is None
    )


def test_a_job_transition_is_guarded_and_partial(store: Store, new_run: MakeRun) -> None:
    new = new_run(jobs=("a", "b"))
    store.create_runs([new])
    job = new.job_runs[0]
    deadline = T0 + timedelta(minutes=1)

    refused = store.update_job_run(
        job.id, RunChange(status=RunStatus.FAILED), from_statuses=[RunStatus.RUNNING]
    )
    started = store.update_job_run(
        job.id,
        RunChange(status=RunStatus.RUNNING, started_at=T0, deadline_at=deadline),
        from_statuses=[RunStatus.PENDING],
    )
    cleared = store.update_job_run(job.id, RunChange(deadline_at=None))

    assert refused is None
    assert started is not None
    assert started.status is RunStatus.RUNNING
    assert started.deadline_at == deadline
    assert cleared == started.model_copy(update={"deadline_at": None})
    assert store.get_job_run(new.job_runs[1].id) == new.job_runs[1]
    assert store.list_job_runs(new.run.id)[0] == cleared
    assert store.update_job_run("nope", RunChange(status=RunStatus.FAILED)) is None


def test_step_runs_of_a_new_run_start_as_given(store: Store, new_run: MakeRun) -> None:
    new = new_run(jobs=("a", "b"))
    store.create_runs([new])

    pending = store.list_step_runs(statuses=[StepRunStatus.PENDING_ASSIGNMENT])

    assert sorted(s.id for s in pending) == sorted(s.id for s in new.step_runs)
