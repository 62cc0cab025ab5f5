"""Which worker gets a step run, and when (design §8)."""

from __future__ import annotations

from hatchetd.contracts.enums import RunStatus, StepRunStatus
from hatchetd.engine import Push
from tests.engine.harness import Daemon, one_step_workflow


def push_many(daemon: Daemon, count: int, key: str = "user:create") -> list[str]:
    outcomes = daemon.call(
        lambda e: e.push_events([Push(key, {"name": str(i)}) for i in range(count)])
    )
    return [o.event.run_ids[0] for o in outcomes]


def test_assignment_prefers_the_worker_with_the_most_free_slots(daemon: Daemon) -> None:
    daemon.load(greet=one_step_workflow())
    small = daemon.connect("small", slots=2)
    big = daemon.connect("big", slots=4)

    push_many(daemon, 4)

    # big has 4 free, then 3 (small has 2): big, big; then both have 2 and small registered
    # first; then big has 2 against small's 1.
    assert len(big.assignments()) == 3
    assert len(small.assignments()) == 1


def test_on_a_tie_the_worker_registered_first_gets_the_step(daemon: Daemon) -> None:
    daemon.load(greet=one_step_workflow())
    first = daemon.connect("first", slots=1)
    second = daemon.connect("second", slots=1)

    push_many(daemon, 1)

    assert len(first.assignments()) == 1
    assert second.assignments() == []


def test_a_step_waits_for_a_worker_with_its_action(daemon: Daemon) -> None:
    daemon.load_compat("upstream/requeue--job-requeue-workflow.yaml")
    other = daemon.connect("other", actions=["echo:echo"])
    event = daemon.push("example:event")
    run_id = event.run_ids[0]

    assert daemon.statuses(run_id) == {"requeue": StepRunStatus.PENDING_ASSIGNMENT}
    daemon.tick()
    assert other.assignments() == []

    daemon.clock.advance(30)
    able = daemon.connect("able", actions=["requeue:requeue"])

    (assign,) = able.assignments()
    assert assign.step_run_id == daemon.steps(run_id)["requeue"].id
    able.run(assign, {"done": True})
    assert daemon.trace(run_id).run.status is RunStatus.SUCCEEDED


def test_a_worker_never_holds_more_step_runs_than_its_slots(daemon: Daemon) -> None:
    daemon.load(greet=one_step_workflow())
    worker = daemon.connect(slots=2)
    run_ids = push_many(daemon, 5)

    first = worker.assignments()
    assert len(first) == 2
    daemon.tick()
    assert worker.assignments() == []

    worker.run(first[0])
    (third,) = worker.assignments()
    assert third.workflow_run_id == run_ids[2]  # oldest first


def test_waiting_step_runs_are_assigned_oldest_first(daemon: Daemon) -> None:
    daemon.load(greet=one_step_workflow())
    run_ids = push_many(daemon, 3)
    worker = daemon.connect(slots=1)

    order = []
    while batch := worker.assignments():
        (assign,) = batch
        order.append(assign.workflow_run_id)
        worker.run(assign)

    assert order == run_ids


def test_the_oldest_waiting_step_goes_first_whatever_its_action(daemon: Daemon) -> None:
    daemon.load(
        mail=one_step_workflow("mail", events=["mail:send"], action="mail:send"),
        sms=one_step_workflow("sms", events=["sms:send"], action="sms:send"),
    )
    mail = push_many(daemon, 1, "mail:send")
    sms = push_many(daemon, 1, "sms:send")
    more_mail = push_many(daemon, 1, "mail:send")
    worker = daemon.connect(actions=["sms:send", "mail:send"], slots=1)

    order = []
    while batch := worker.assignments():
        (assign,) = batch
        order.append(assign.workflow_run_id)
        worker.run(assign)

    assert order == [*mail, *sms, *more_mail]
