"""A step that runs past its `timeout` is cancelled (TIMED_OUT), its worker told to stop."""

from __future__ import annotations

from hatchetd.contracts.enums import CancelReason, RunStatus, StepRunStatus
from hatchetd.contracts.worker_protocol import Assign, Cancel
from tests.engine.harness import Daemon, FakeWorker, one_step_workflow

STEP_TIMEOUT = "upstream/timeout--step-timeout-workflow.yaml"  # two steps, `timeout: 5s` each


def assigned_step(daemon: Daemon) -> tuple[FakeWorker, Assign, str]:
    daemon.load_compat(STEP_TIMEOUT)
    worker = daemon.connect(actions=["timeout:timeout"])
    run_id = daemon.push("user:create").run_ids[0]
    (assign,) = worker.assignments()
    return worker, assign, run_id


def test_the_compat_step_timeout_cancels_the_step_and_the_later_step_never_runs(
    daemon: Daemon,
) -> None:
    worker, assign, run_id = assigned_step(daemon)
    worker.started(assign)

    daemon.pass_time(4.9)
    assert daemon.steps(run_id)["timeout"].status is StepRunStatus.RUNNING
    assert worker.cancellations() == []

    daemon.pass_time(0.1)

    assert worker.cancellations() == [
        Cancel(step_run_id=assign.step_run_id, attempt=1, reason=CancelReason.TIMED_OUT)
    ]
    assert daemon.statuses(run_id) == {
        "timeout": "CANCELLED/TIMED_OUT",
        "later-step": "CANCELLED/PREVIOUS_STEP_FAILED",
    }
    assert worker.assignments() == []  # the later step never reaches a worker
    trace = daemon.trace(run_id)
    assert trace.jobs[0].job_run.status is RunStatus.FAILED
    assert trace.jobs[0].job_run.error == "step 'timeout' timed out after 5s (TIMED_OUT)"
    assert trace.run.status is RunStatus.FAILED
    assert trace.run.error == (
        "job 'timeout-job' failed: step 'timeout' timed out after 5s (TIMED_OUT)"
    )
    assert trace.run.finished_at == daemon.clock.now()


def test_the_timeout_counts_from_running(daemon: Daemon) -> None:
    worker, assign, run_id = assigned_step(daemon)
    daemon.pass_time(3)
    worker.started(assign)

    daemon.pass_time(4.9)  # 7.9 s after the assignment, 4.9 s after the start
    assert daemon.steps(run_id)["timeout"].status is StepRunStatus.RUNNING

    daemon.pass_time(0.1)
    assert daemon.steps(run_id)["timeout"].cancel_reason is CancelReason.TIMED_OUT


def test_a_step_assigned_but_never_started_times_out_from_its_assignment(
    daemon: Daemon,
) -> None:
    worker, assign, run_id = assigned_step(daemon)

    daemon.pass_time(4.9)
    assert daemon.steps(run_id)["timeout"].status is StepRunStatus.ASSIGNED
    daemon.pass_time(0.1)

    step = daemon.steps(run_id)["timeout"]
    assert step.status is StepRunStatus.CANCELLED
    assert step.cancel_reason is CancelReason.TIMED_OUT
    assert [c.step_run_id for c in worker.cancellations()] == [assign.step_run_id]


def test_a_result_after_the_timeout_is_rejected_and_logged(daemon: Daemon) -> None:
    worker, assign, run_id = assigned_step(daemon)
    worker.started(assign)
    daemon.pass_time(5)

    outcome = worker.completed(assign, {"too": "late"})

    assert not outcome.accepted
    assert outcome.reason == f"step run {assign.step_run_id} is already CANCELLED (TIMED_OUT)"
    assert daemon.logs(assign.step_run_id) == [
        f"late result from worker {worker.id} rejected: "
        f"step run {assign.step_run_id} is already CANCELLED (TIMED_OUT)"
    ]
    assert daemon.steps(run_id)["timeout"].output is None


def test_a_timed_out_step_frees_its_worker_s_slot(daemon: Daemon) -> None:
    daemon.load_compat(STEP_TIMEOUT)
    worker = daemon.connect(actions=["timeout:timeout"], slots=1)
    daemon.push("user:create")
    second_run = daemon.push("user:create").run_ids[0]
    (first,) = worker.assignments()
    worker.started(first)

    daemon.pass_time(5)

    (second,) = worker.assignments()
    assert second.workflow_run_id == second_run


def test_the_default_timeout_is_a_minute(daemon: Daemon) -> None:
    daemon.load(greet=one_step_workflow())
    worker = daemon.connect()
    run_id = daemon.push("user:create", {"name": "Ada"}).run_ids[0]
    (assign,) = worker.assignments()
    worker.started(assign)

    daemon.pass_time(59.9, alive=[worker])
    assert daemon.steps(run_id)["only"].status is StepRunStatus.RUNNING
    daemon.pass_time(0.1)
    assert daemon.steps(run_id)["only"].cancel_reason is CancelReason.TIMED_OUT


def test_a_disconnected_worker_s_step_is_left_to_the_lease_not_its_deadline(
    daemon: Daemon,
) -> None:
    worker, assign, run_id = assigned_step(daemon)
    worker.started(assign)
    worker.disconnect()

    daemon.pass_time(8)  # past the 5 s timeout, within the 15 s lease
    assert daemon.steps(run_id)["timeout"].status is StepRunStatus.RUNNING
    back = daemon.connect(actions=["timeout:timeout"])  # it computed the result in time
    outcome = back.completed(assign, {"ok": True})

    assert outcome.accepted
    assert daemon.steps(run_id)["timeout"].status is StepRunStatus.SUCCEEDED
