"""A result counts only for the attempt the step run is on; anything else changes nothing."""

from __future__ import annotations

from hatchetd.contracts.enums import RunStatus, StepRunStatus
from hatchetd.contracts.runs import RunTrace
from tests.engine.harness import Daemon, FakeWorker, one_step_workflow


def started_run(daemon: Daemon) -> tuple[FakeWorker, str]:
    daemon.load(greet=one_step_workflow())
    worker = daemon.connect()
    event = daemon.push("user:create", {"name": "Ada"})
    return worker, event.run_ids[0]


def test_a_result_for_another_attempt_is_rejected(daemon: Daemon) -> None:
    worker, run_id = started_run(daemon)
    (assign,) = worker.assignments()
    worker.started(assign)
    before = daemon.trace(run_id)

    outcome = worker.completed(assign, {"late": True}, attempt=2)

    assert not outcome.accepted
    assert outcome.reason == (
        f"attempt 2 of step run {assign.step_run_id} is not current (attempt 1 is)"
    )
    assert daemon.trace(run_id) == before


def test_a_repeated_result_is_rejected_and_the_first_stands(daemon: Daemon) -> None:
    worker, run_id = started_run(daemon)
    (assign,) = worker.assignments()
    worker.run(assign, {"n": 1})
    before = daemon.trace(run_id)

    again = worker.completed(assign, {"n": 2})
    failed_after = worker.failed(assign, "RuntimeError: too late")

    assert not again.accepted
    assert again.reason == f"step run {assign.step_run_id} is already SUCCEEDED"
    assert not failed_after.accepted
    assert daemon.trace(run_id) == before
    assert daemon.steps(run_id)["only"].output == {"n": 1}


def test_a_result_after_the_run_was_cancelled_is_rejected(daemon: Daemon) -> None:
    worker, run_id = started_run(daemon)
    (assign,) = worker.assignments()
    worker.started(assign)
    daemon.call(lambda e: e.cancel_run(run_id))
    before = daemon.trace(run_id)

    outcome = worker.completed(assign, {"done": True})

    assert not outcome.accepted
    assert outcome.reason == f"step run {assign.step_run_id} is already CANCELLED (USER_CANCELLED)"
    assert daemon.trace(run_id) == before


def test_a_result_for_an_unknown_step_run_is_rejected(daemon: Daemon) -> None:
    worker, _ = started_run(daemon)

    outcome = daemon.call(lambda e: e.step_completed(worker.id, "no-such-step", 1, {}))

    assert not outcome.accepted
    assert outcome.reason == "there is no step run no-such-step"


def test_started_for_another_attempt_changes_nothing(daemon: Daemon) -> None:
    worker, run_id = started_run(daemon)
    (assign,) = worker.assignments()

    accepted = daemon.call(lambda e: e.step_started(worker.id, assign.step_run_id, 7))

    assert not accepted
    assert daemon.steps(run_id)["only"].status is StepRunStatus.ASSIGNED


def test_a_reconnected_worker_resending_its_result_is_accepted(daemon: Daemon) -> None:
    worker, run_id = started_run(daemon)
    (assign,) = worker.assignments()
    worker.started(assign)
    worker.disconnect()

    again = daemon.connect()  # the same process, a new connection and identity
    outcome = again.completed(assign, {"kept": True})

    assert again.id != worker.id
    assert outcome.accepted
    trace: RunTrace = daemon.trace(run_id)
    assert trace.run.status is RunStatus.SUCCEEDED
    step = trace.jobs[0].step_runs[0]
    assert step.output == {"kept": True}
    assert step.worker_id == worker.id  # it ran where it was assigned
