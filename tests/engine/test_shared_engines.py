"""Two engines on one PostgreSQL database, as two hatchetd replicas run them (issue 11), on a
fake clock: each learns what the other did only from the store (its once-a-second look, here a
tick), which is what remains when a notification is missed."""

from __future__ import annotations

import os
import textwrap
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import make_url

from hatchetd.contracts.enums import CancelReason, RunStatus, StepRunStatus, WorkerStatus
from hatchetd.engine import FakeClock
from hatchetd.store import Store, open_store
from tests.engine.harness import Daemon, one_step_workflow

PG_URL_VARIABLE = "HATCHET_TEST_DATABASE_URL"
pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        not os.environ.get(PG_URL_VARIABLE),
        reason=f"{PG_URL_VARIABLE} is not set: engines sharing PostgreSQL skipped",
    ),
]

TWO_JOBS = textwrap.dedent(
    """\
    name: fan-out
    on: [fan:out]
    jobs:
      left:
        steps:
          - id: left
            action: left:go
      right:
        steps:
          - id: right
            action: right:go
    """
)


@pytest.fixture
def shared_store() -> Iterator[Store]:
    """A store on a fresh schema of the test server."""
    base = make_url(os.environ[PG_URL_VARIABLE])
    admin = base.set(drivername="postgresql").render_as_string(hide_password=False)
    schema = f"hatchet_test_{uuid.uuid4().hex[:16]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    url = base.update_query_dict({"options": f"-csearch_path={schema}"})
    store = open_store(url.render_as_string(hide_password=False))
    yield store
    store.close()
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture
def pair(shared_store: Store, tmp_path: Path) -> tuple[Daemon, Daemon]:
    """Replicas A and B: one store, one clock, a folder each with the same files."""
    clock = FakeClock()
    daemons = []
    for name in ("a", "b"):
        folder = tmp_path / name
        folder.mkdir()
        daemons.append(Daemon(shared_store, clock, folder, environ={}))
    a, b = daemons
    for d in (a, b):
        d.load(greet=one_step_workflow(), fan_out=TWO_JOBS)
    return a, b


def test_a_step_made_ready_on_one_replica_goes_to_a_worker_on_the_other(
    pair: tuple[Daemon, Daemon],
) -> None:
    a, b = pair
    worker = a.connect()
    run_id = b.push("user:create", {"name": "Ada"}).run_ids[0]
    assert worker.assignments() == []  # A has not looked yet

    a.tick()

    (assign,) = worker.assignments()
    worker.run(assign)
    assert a.trace(run_id).run.status is RunStatus.SUCCEEDED


def test_a_run_whose_jobs_finish_on_two_replicas_ends_once_and_right(
    pair: tuple[Daemon, Daemon],
) -> None:
    a, b = pair
    lefty = a.connect(actions=["left:go"])
    righty = b.connect(actions=["right:go"])
    run_id = a.push("fan:out").run_ids[0]
    b.tick()
    (left,) = lefty.assignments()
    (right,) = righty.assignments()

    righty.run(right)  # B ends its job; the run waits for A's
    assert a.trace(run_id).run.status is RunStatus.RUNNING
    lefty.run(left)  # A's memory of the run is stale: the version makes it read it again

    trace = a.trace(run_id)
    assert trace.run.status is RunStatus.SUCCEEDED
    assert [j.job_run.status for j in trace.jobs] == [RunStatus.SUCCEEDED, RunStatus.SUCCEEDED]


def test_a_run_cancelled_on_one_replica_stops_the_worker_on_the_other(
    pair: tuple[Daemon, Daemon],
) -> None:
    a, b = pair
    worker = b.connect(slots=1)
    first = a.push("user:create", {"name": "Ada"}).run_ids[0]
    b.tick()
    (assign,) = worker.assignments()
    worker.started(assign)

    a.call(lambda e: e.cancel_run(first))
    second = a.push("user:create", {"name": "Bob"}).run_ids[0]
    b.clock.advance(1)
    b.tick()

    (cancel,) = worker.cancellations()
    assert (cancel.step_run_id, cancel.reason) == (assign.step_run_id, CancelReason.USER_CANCELLED)
    (next_assign,) = worker.assignments()  # its one slot is free again
    assert next_assign.workflow_run_id == second
    assert not worker.completed(assign, {}).accepted


def test_the_workers_of_a_silent_replica_are_lost_after_a_lease_and_their_steps_retried(
    pair: tuple[Daemon, Daemon],
) -> None:
    a, b = pair
    retried = one_step_workflow().replace(
        "action: echo:echo", "action: echo:echo\n        retries: 1"
    )
    a.load(greet=retried)
    b.load(greet=retried)
    on_b = b.connect()
    run_id = b.push("user:create", {"name": "Ada"}).run_ids[0]
    (assign,) = on_b.assignments()
    on_b.started(assign)
    on_a = a.connect()
    # B dies: it ticks no more and records no heartbeat. A's own worker keeps its lease.
    a.pass_time(16, alive=[on_a])

    stored = a.store.get_worker(on_b.id)
    assert stored is not None
    assert stored.status is WorkerStatus.LOST
    (retry,) = on_a.assignments()
    assert retry.attempt == 2
    on_a.run(retry)
    assert a.trace(run_id).run.status is RunStatus.SUCCEEDED
    first = a.attempts(run_id, "only")[0]
    assert (first.status, first.cancel_reason) == (
        StepRunStatus.CANCELLED,
        CancelReason.WORKER_LOST,
    )


def test_a_restarted_replica_leaves_another_s_busy_worker_alone(
    pair: tuple[Daemon, Daemon],
) -> None:
    a, b = pair
    on_b = b.connect()
    run_id = b.push("user:create", {"name": "Ada"}).run_ids[0]
    (assign,) = on_b.assignments()
    on_b.started(assign)

    restarted = a.restart()
    for _ in range(6):  # 30 s: two leases; B's worker heartbeats, A's new process ticks
        restarted.clock.advance(5)
        on_b.heartbeat()
        b.tick()
        restarted.tick()

    assert on_b.completed(assign, {"done": True}).accepted
    assert restarted.trace(run_id).run.status is RunStatus.SUCCEEDED
    assert [s.attempt for s in restarted.attempts(run_id, "only")] == [1]


def test_a_run_started_by_hand_on_one_replica_runs_on_the_other_with_its_input(
    pair: tuple[Daemon, Daemon],
) -> None:
    a, b = pair
    worker = a.connect()

    started = b.call(lambda e: e.start_run("greet", {"name": "Ada"}, idempotency_key="k"))
    again = a.call(lambda e: e.start_run("greet", {"name": "Ada"}, idempotency_key="k"))
    a.tick()

    assert (again.run, again.created) == (started.run, False)
    (assign,) = worker.assignments()  # A read the run B planned from the store, input and all
    assert (assign.workflow_run_id, assign.input) == (started.run.id, {"message": "Hello Ada"})
    worker.run(assign)
    assert b.trace(started.run.id).run.status is RunStatus.SUCCEEDED
