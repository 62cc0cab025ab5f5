"""What daemons sharing one database rely on the store for: run locks with versions, signals
in commit order, one leader at a time, and the holds of silent workers (issue 11)."""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable

import psycopg
import pytest
from acceptance_support import wait_for
from sqlalchemy.engine import make_url

from hatchetd.contracts.enums import RunStatus, StepRunStatus
from hatchetd.contracts.runs import NewRun, RunChange, StepRunChange
from hatchetd.contracts.workers import Worker
from hatchetd.store import RunBusy, Store
from tests.store.conftest import admin_conninfo, at

S = StepRunStatus


@pytest.fixture
def run(store: Store, new_run: Callable[..., NewRun]) -> NewRun:
    new = new_run()
    store.create_runs([new])
    return new


def test_only_postgresql_is_shared(store: Store, backend: str) -> None:
    assert store.shared is (backend == "postgres")


def test_a_run_lock_bumps_the_version_once_per_transaction(store: Store, run: NewRun) -> None:
    with store.batch():
        first = store.lock_run(run.run.id)
        again = store.lock_run(run.run.id)
    with store.batch():
        later = store.lock_run(run.run.id)

    assert (first, again, later) == (1, 1, 2)


def test_a_final_or_missing_run_cannot_be_locked(store: Store, run: NewRun) -> None:
    store.update_workflow_run(run.run.id, RunChange(status=RunStatus.SUCCEEDED, finished_at=at(1)))

    with store.batch():
        assert store.lock_run(run.run.id) is None
        assert store.lock_run("no-such-run") is None


def test_a_rolled_back_lock_leaves_the_version_as_it_was(store: Store, run: NewRun) -> None:
    def lock_then_fail() -> None:
        with store.batch():
            store.lock_run(run.run.id)
            raise RuntimeError("rolled back")

    with pytest.raises(RuntimeError):
        lock_then_fail()
    with store.batch():
        assert store.lock_run(run.run.id) == 1


@pytest.mark.postgres
def test_a_second_daemon_waits_for_the_lock_or_is_told_it_is_busy(
    database_url: str, open_stores: Callable[[str], Store], run: NewRun, backend: str
) -> None:
    if backend != "postgres":
        pytest.skip("SQLite has one writer at a time: there is nothing to wait for")
    mine, theirs = open_stores(database_url), open_stores(database_url)
    holding = threading.Event()
    release = threading.Event()

    def hold() -> None:
        with mine.batch():
            mine.lock_run(run.run.id)
            holding.set()
            release.wait(10)

    holder = threading.Thread(target=hold)
    holder.start()
    assert holding.wait(10)
    with theirs.batch(), pytest.raises(RunBusy):
        theirs.lock_run(run.run.id, wait=False)
    waited: list[int | None] = []
    waiter = threading.Thread(
        target=lambda: waited.append(_locked_in_batch(theirs, run.run.id)), daemon=True
    )
    waiter.start()
    wait_for(lambda: _blocked_on_a_lock(database_url), what="PostgreSQL to show the waiter blocked")
    assert waited == []  # still waiting for the holder's commit
    release.set()
    holder.join(10)
    waiter.join(10)
    assert waited == [2]  # after the holder's bump


def _blocked_on_a_lock(database_url: str) -> bool:
    """Whether a session holding a lock on a table of this test's schema waits for another's."""
    schema = make_url(database_url).query["options"]
    assert isinstance(schema, str)
    with psycopg.connect(admin_conninfo()) as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation"
            " JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE n.nspname = %s AND cardinality(pg_blocking_pids(l.pid)) > 0",
            (schema.removeprefix("-csearch_path="),),
        ).fetchone()
    return row is not None and row[0] > 0


def _locked_in_batch(store: Store, run_id: str) -> int | None:
    with store.batch():
        return store.lock_run(run_id)


def test_signals_reach_other_daemons_in_commit_order_and_only_when_committed(
    database_url: str, open_stores: Callable[[str], Store], backend: str
) -> None:
    sender, receiver = open_stores(database_url), open_stores(database_url)
    heard: queue.Queue[str | None] = queue.Queue()
    stop = receiver.listen(heard.put)
    try:
        if backend == "sqlite":
            with sender.batch():
                sender.notify(["nobody hears this"])
            assert heard.empty()
            return
        assert heard.get(timeout=10) is None  # listening now: what came before was missed

        def notify_then_fail() -> None:
            with sender.batch():
                sender.notify(["rolled back"])
                raise RuntimeError("rolled back")

        with pytest.raises(RuntimeError):
            notify_then_fail()
        with sender.batch():
            sender.notify(["one", "two"])
        with sender.batch():
            sender.notify(["three"])
        assert [heard.get(timeout=10) for _ in range(3)] == ["one", "two", "three"]
    finally:
        stop()


def test_one_daemon_leads_at_a_time_and_another_takes_over(
    database_url: str, open_stores: Callable[[str], Store], backend: str
) -> None:
    first, second = open_stores(database_url), open_stores(database_url)
    a, b = first.leadership(), second.leadership()
    try:
        if backend == "sqlite":
            assert a.try_lead()  # one daemon per file: it always leads
            assert b.try_lead()
            return
        assert a.try_lead() is True
        assert b.try_lead() is False
        a.close()  # as when its process dies: the session, and the lock, go with it
        deadline = time.monotonic() + 5
        while not b.try_lead():
            assert time.monotonic() < deadline, "the second never took over"
            time.sleep(0.1)
    finally:
        a.close()
        b.close()


def test_the_holds_of_workers_silent_for_a_lease_are_found(
    store: Store, run: NewRun, new_worker: Callable[..., Worker]
) -> None:
    silent = new_worker(last_heartbeat_at=at(0), replica_id="dead-replica")
    alive = new_worker(last_heartbeat_at=at(20), replica_id="other-replica")
    mine = new_worker(last_heartbeat_at=at(0), replica_id="me")
    for worker in (silent, alive, mine):
        store.save_worker(worker)
    step = run.step_runs[0]
    store.update_step_run(
        step.id,
        StepRunChange(status=S.RUNNING, worker_id=silent.id, started_at=at(1)),
    )

    assert [s.id for s in store.list_silent_holds(at(15), "me")] == [step.id]
    assert store.list_silent_holds(at(15), "dead-replica") == []  # its own: it checks those
    store.update_step_run(step.id, StepRunChange(worker_id=alive.id))
    assert store.list_silent_holds(at(15), "me") == []
    store.update_step_run(step.id, StepRunChange(worker_id=mine.id))
    assert store.list_silent_holds(at(15), "me") == []
    assert store.get_worker(mine.id) == mine  # the replica it is connected to is kept
