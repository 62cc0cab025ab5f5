"""A worker that is shutting down drains (design §8): it gets nothing new, finishes what it
started, and what it was given but had not started goes to another worker at once — the same
step run and attempt, not a retry, and without waiting out a lease."""

from __future__ import annotations

from datetime import timedelta

from hatchetd.contracts.enums import CancelReason, RunStatus, StepRunStatus, WorkerStatus
from tests.engine.harness import Daemon, FakeWorker, one_step_workflow

LEASE = 15  # three heartbeat intervals of five seconds
SCHEDULE_TIMEOUT = timedelta(minutes=5)  # the default `schedule_timeout`

CHAIN = """\
name: chain
triggers:
  events: [chain:go]
jobs:
  main:
    steps:
      - id: first
        action: echo:echo
        with: {n: 1}
      - id: second
        action: echo:echo
        with: {n: 2}
"""


def worker_status(daemon: Daemon, worker: FakeWorker) -> WorkerStatus:
    stored = daemon.store.get_worker(worker.id)
    assert stored is not None
    return stored.status


def test_a_draining_worker_is_given_nothing_new(daemon: Daemon) -> None:
    daemon.load(greet=one_step_workflow())
    leaving = daemon.connect("leaving", slots=4)

    assert leaving.draining() == []
    run_id = daemon.push("user:create", {"name": "Ada"}).run_ids[0]

    assert worker_status(daemon, leaving) is WorkerStatus.DRAINING
    assert leaving.assignments() == []
    assert daemon.steps(run_id)["only"].status is StepRunStatus.PENDING_ASSIGNMENT
    staying = daemon.connect("staying", slots=1)
    (assign,) = staying.assignments()
    assert staying.run(assign).accepted
    assert daemon.trace(run_id).run.status is RunStatus.SUCCEEDED


def test_what_it_had_not_started_goes_to_another_worker_in_the_same_batch(
    daemon: Daemon,
) -> None:
    daemon.load(greet=one_step_workflow())
    leaving = daemon.connect("leaving", slots=2)
    started_run = daemon.push("user:create", {"name": "Ada"}).run_ids[0]
    waiting_run = daemon.push("user:create", {"name": "Bob"}).run_ids[0]
    running, unstarted = leaving.assignments()
    leaving.started(running)
    staying = daemon.connect("staying", slots=2)
    assert staying.assignments() == []  # nothing is waiting yet

    handed_back = leaving.draining()

    assert handed_back == [unstarted.step_run_id]
    (again,) = staying.assignments()
    # The same step run and attempt, not a retry: nothing was cancelled.
    assert (again.step_run_id, again.attempt, again.input) == (
        unstarted.step_run_id,
        1,
        unstarted.input,
    )
    moved = daemon.steps(waiting_run)["only"]
    assert (moved.status, moved.worker_id) == (StepRunStatus.ASSIGNED, staying.id)
    assert moved.assigned_at == daemon.clock.now()
    assert [s.attempt for s in daemon.attempts(waiting_run, "only")] == [1]
    # What it started stays with it, and its result counts.
    kept = daemon.steps(started_run)["only"]
    assert (kept.status, kept.worker_id) == (StepRunStatus.RUNNING, leaving.id)
    assert leaving.completed(running, {"done": True}).accepted
    assert staying.run(again).accepted
    assert daemon.trace(started_run).run.status is RunStatus.SUCCEEDED
    assert daemon.trace(waiting_run).run.status is RunStatus.SUCCEEDED


def test_with_no_other_worker_it_waits_ahead_of_the_queue_with_a_fresh_schedule_deadline(
    daemon: Daemon,
) -> None:
    daemon.load(greet=one_step_workflow())
    leaving = daemon.connect("leaving", slots=2)
    first_run = daemon.push("user:create", {"name": "first"}).run_ids[0]
    daemon.clock.advance(1)
    second_run = daemon.push("user:create", {"name": "second"}).run_ids[0]
    daemon.clock.advance(1)
    queued_run = daemon.push("user:create", {"name": "queued"}).run_ids[0]  # no free slot
    assert len(leaving.assignments()) == 2
    drained_at = daemon.clock.advance(60)

    leaving.draining()

    for run_id in (first_run, second_run):
        step = daemon.steps(run_id)["only"]
        assert step.status is StepRunStatus.PENDING_ASSIGNMENT
        assert (step.worker_id, step.assigned_at) == (None, None)
        assert step.deadline_at == drained_at + SCHEDULE_TIMEOUT
    # They were dispatched before the queued one: they go first, in their order.
    staying = daemon.connect("staying", slots=3)
    inputs = [a.input["message"] for a in staying.assignments()]
    assert inputs == ["Hello first", "Hello second", "Hello queued"]
    assert daemon.steps(queued_run)["only"].worker_id == staying.id


def test_a_started_or_a_result_for_a_step_it_handed_back_is_refused(daemon: Daemon) -> None:
    daemon.load(greet=one_step_workflow())
    leaving = daemon.connect("leaving")
    run_id = daemon.push("user:create", {"name": "Ada"}).run_ids[0]
    (assign,) = leaving.assignments()
    leaving.draining()

    # Not given to anyone yet: it no longer holds it.
    assert not leaving.started(assign)
    assert daemon.steps(run_id)["only"].status is StepRunStatus.PENDING_ASSIGNMENT

    staying = daemon.connect("staying")
    (again,) = staying.assignments()
    # Given to another worker, same attempt: the attempt number alone cannot tell them apart.
    assert not leaving.started(assign)
    late = leaving.completed(assign, {"from": "leaving"})
    assert not late.accepted
    assert late.reason == (
        f"step run {assign.step_run_id} was handed back when worker {leaving.id} began "
        "draining; another worker has it"
    )
    step = daemon.steps(run_id)["only"]
    assert (step.status, step.worker_id) == (StepRunStatus.ASSIGNED, staying.id)
    assert staying.run(again, {"from": "staying"}).accepted
    assert daemon.steps(run_id)["only"].output == {"from": "staying"}


def test_a_chain_goes_on_on_another_worker_once_the_draining_one_finishes_its_step(
    daemon: Daemon,
) -> None:
    daemon.load(chain=CHAIN)
    leaving = daemon.connect("leaving")  # registered first: it would win a tie
    run_id = daemon.push("chain:go").run_ids[0]
    (first,) = leaving.assignments()
    leaving.started(first)  # sent before `draining`: processed first
    staying = daemon.connect("staying")

    assert leaving.draining() == []
    assert leaving.completed(first, {"n": 1}).accepted

    assert leaving.assignments() == []
    (second,) = staying.assignments()
    assert staying.run(second).accepted
    trace = daemon.trace(run_id)
    assert trace.run.status is RunStatus.SUCCEEDED
    assert [s.worker_id for s in trace.jobs[0].step_runs] == [leaving.id, staying.id]


def test_a_draining_worker_that_goes_silent_is_still_lost(daemon: Daemon) -> None:
    daemon.load(greet=one_step_workflow())
    leaving = daemon.connect("leaving")
    run_id = daemon.push("user:create", {"name": "Ada"}).run_ids[0]
    (assign,) = leaving.assignments()
    leaving.started(assign)
    leaving.draining()

    daemon.clock.advance(LEASE + 1)
    daemon.tick()

    assert worker_status(daemon, leaving) is WorkerStatus.LOST
    step = daemon.steps(run_id)["only"]
    assert (step.status, step.cancel_reason) == (
        StepRunStatus.CANCELLED,
        CancelReason.WORKER_LOST,
    )


def test_it_disconnects_stopped_and_comes_back_as_a_new_worker_that_gets_work(
    daemon: Daemon,
) -> None:
    daemon.load(greet=one_step_workflow())
    leaving = daemon.connect("w")
    leaving.draining()
    leaving.disconnect()
    assert worker_status(daemon, leaving) is WorkerStatus.STOPPED

    back = daemon.connect("w")
    daemon.push("user:create", {"name": "Ada"})

    assert worker_status(daemon, back) is WorkerStatus.ACTIVE
    assert len(back.assignments()) == 1


def test_draining_is_kept_across_a_resync(daemon: Daemon) -> None:
    daemon.load(greet=one_step_workflow())
    leaving = daemon.connect("leaving")
    leaving.draining()

    daemon.call(lambda e: e.resync())
    run_id = daemon.push("user:create", {"name": "Ada"}).run_ids[0]

    assert leaving.assignments() == []
    assert leaving.heartbeat()  # still connected
    assert daemon.steps(run_id)["only"].status is StepRunStatus.PENDING_ASSIGNMENT


def test_a_result_re_sent_after_a_reconnect_for_a_step_it_started_is_accepted(
    daemon: Daemon,
) -> None:
    daemon.load(greet=one_step_workflow())
    leaving = daemon.connect("w")
    run_id = daemon.push("user:create", {"name": "Ada"}).run_ids[0]
    (assign,) = leaving.assignments()
    leaving.started(assign)
    leaving.draining()
    leaving.disconnect()  # the connection dropped before the result went out

    again = daemon.connect("w")  # the same process, a new identity; it drains again at once
    assert again.draining() == []
    outcome = daemon.call(
        lambda e: e.step_completed(again.id, assign.step_run_id, assign.attempt, {"ok": True})
    )

    assert outcome.accepted
    assert daemon.trace(run_id).run.status is RunStatus.SUCCEEDED
