"""Transactions: a batch is one commit, all or nothing; acknowledged writes survive a reopen."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest

from hatchetd.contracts.enums import StepRunStatus
from hatchetd.contracts.events import Event, EventQuery, NewEvent
from hatchetd.contracts.runs import NewRun, RunStepLog, StepRunChange
from hatchetd.contracts.workers import Worker
from hatchetd.contracts.workflows import WorkflowVersion
from hatchetd.store import Store, iter_pages

T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
MakeEvent = Callable[..., NewEvent]


class Boom(Exception):
    """Raised inside a batch to abandon it."""


def abandoned_batch(store: Store, *writes: Callable[[], object]) -> None:
    """Make the writes in one batch, then fail it."""
    with store.batch():
        for write in writes:
            write()
        raise Boom


def test_a_batch_commits_everything_at_its_end(
    store: Store, new_event: MakeEvent, new_run: Callable[..., NewRun]
) -> None:
    event = new_event()
    run = new_run(event_id=event.id)

    with store.batch():
        store.create_events([event])
        store.create_runs([run])
        # reads inside the batch see its own writes
        seen = store.get_event(event.id)
        assert seen is not None
        assert seen.run_ids == [run.run.id]
        store.update_step_run(run.step_runs[0].id, StepRunChange(status=StepRunStatus.ASSIGNED))

    assert store.get_event(event.id) == seen
    step = store.get_step_run(run.step_runs[0].id)
    assert step is not None
    assert step.status is StepRunStatus.ASSIGNED


def test_a_batch_is_invisible_to_other_threads_until_it_commits(
    store: Store, new_event: MakeEvent
) -> None:
    event = new_event()
    seen_from_outside: list[Event | None] = []

    with store.batch(), ThreadPoolExecutor(1) as pool:
        store.create_events([event])
        # The other thread reads on its own connection; under WAL it is not blocked.
        seen_from_outside.append(pool.submit(store.get_event, event.id).result(timeout=10))

    assert seen_from_outside == [None]
    assert store.get_event(event.id) is not None


def test_an_exception_rolls_the_whole_batch_back(
    store: Store, new_event: MakeEvent, new_run: Callable[..., NewRun]
) -> None:
    kept = new_event()
    store.create_events([kept])
    event, run = new_event(), new_run()

    with pytest.raises(Boom):
        abandoned_batch(
            store,
            lambda: store.create_events([event]),
            lambda: store.create_runs([run]),
            lambda: store.update_step_run(
                run.step_runs[0].id, StepRunChange(status=StepRunStatus.ASSIGNED)
            ),
        )

    assert store.get_event(event.id) is None
    assert store.get_workflow_run(run.run.id) is None
    assert [e.id for e in iter_pages(store, EventQuery())] == [kept.id]
    # the store is still usable afterwards
    store.create_events([new_event()])


def test_a_nested_batch_joins_the_outer_one(store: Store, new_event: MakeEvent) -> None:
    inner, outer = new_event(), new_event()

    def inner_batch() -> None:
        with store.batch():
            store.create_events([inner])

    # the inner batch ends before the outer one fails: it must not have committed on its own
    with pytest.raises(Boom):
        abandoned_batch(store, lambda: store.create_events([outer]), inner_batch)

    assert store.get_event(inner.id) is None
    assert store.get_event(outer.id) is None

    with store.batch():
        with store.batch():
            store.create_events([inner])
        store.create_events([outer])
    assert store.get_event(inner.id) is not None
    assert store.get_event(outer.id) is not None


def test_everything_written_is_there_after_a_reopen(
    store: Store,
    *,
    database_url: str,
    open_stores: Callable[[str], Store],
    new_event: MakeEvent,
    new_run: Callable[..., NewRun],
    new_worker: Callable[..., Worker],
    version: WorkflowVersion,
) -> None:
    events = [new_event(created_at=T0 + timedelta(seconds=i)) for i in range(20)]
    store.create_events(events)
    run, worker = new_run(event_id=events[0].id), new_worker()
    with store.batch():
        store.create_runs([run])
        store.save_worker(worker)
        store.append_step_logs(
            [
                RunStepLog(
                    workflow_run_id=run.run.id,
                    step_run_id=run.step_runs[0].id,
                    at=T0,
                    line="hello",
                )
            ]
        )
    store.close()

    again = open_stores(database_url)

    assert sorted(e.id for e in iter_pages(again, EventQuery())) == sorted(e.id for e in events)
    trace = again.get_run_trace(run.run.id)
    assert trace is not None
    assert [j.step_runs for j in trace.jobs] == [run.step_runs]
    assert again.get_worker(worker.id) == worker
    assert [log.line for log in again.list_step_logs(run.step_runs[0].id)] == ["hello"]
    assert again.get_workflow_version(version.id) == version


def test_writers_on_many_threads_all_succeed(store: Store, new_event: MakeEvent) -> None:
    threads, rounds = 8, 25
    start = threading.Barrier(threads)

    def write(n: int) -> int:
        start.wait(timeout=10)
        for i in range(rounds):
            if i % 2:
                with store.batch():
                    store.create_events([new_event(key=f"t{n}:batch")])
                    store.create_events([new_event(key=f"t{n}:batch")])
            else:
                store.create_events([new_event(key=f"t{n}:single")])
            store.list_events(EventQuery(limit=5))
        return n

    with ThreadPoolExecutor(threads) as pool:
        done = sorted(pool.map(write, range(threads), timeout=120))

    assert done == list(range(threads))
    expected = threads * (rounds // 2 * 2 + (rounds + 1) // 2)
    assert sum(1 for _ in iter_pages(store, EventQuery(limit=1000))) == expected


def test_several_processes_opening_a_new_database_at_once_migrate_it_once(
    database_url: str, open_stores: Callable[[str], Store]
) -> None:
    opener = threading.Barrier(4)

    def open_one(_: int) -> Store:
        opener.wait(timeout=10)
        return open_stores(database_url)

    with ThreadPoolExecutor(4) as pool:
        stores = list(pool.map(open_one, range(4), timeout=60))

    assert all(s.list_workflows() == [] for s in stores)
