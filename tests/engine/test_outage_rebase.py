"""An outage does not count against deadlines: each gets back the time it had left
(issue 10, item 5; `engine/rebase.py`)."""

from __future__ import annotations

from datetime import timedelta

from hatchetd.contracts.enums import CancelReason, RunStatus, StepRunStatus
from hatchetd.contracts.worker_protocol import Assign
from tests.engine.harness import Daemon, FakeWorker

STEP_TIMEOUT = "upstream/timeout--step-timeout-workflow.yaml"  # `timeout: 5s` steps
JOB_TIMEOUT = "upstream/timeout--job-timeout-workflow.yaml"  # job 3s, step 10s
SCHEDULE_TIMEOUT = "upstream/schedule-timeout--schedule-timeout-workflow.yaml"  # default 5m


def running(daemon: Daemon, workflow: str) -> tuple[FakeWorker, Assign, str]:
    """A worker running the first step of a run of `workflow` (a compat file)."""
    daemon.load_compat(workflow)
    worker = daemon.connect(actions=["timeout:timeout"])
    run_id = daemon.push("user:create").run_ids[0]
    (assign,) = worker.assignments()
    worker.started(assign)
    return worker, assign, run_id


def test_a_running_step_keeps_the_time_it_had_left_when_the_outage_began(daemon: Daemon) -> None:
    worker, assign, run_id = running(daemon, STEP_TIMEOUT)
    daemon.pass_time(0.7)

    assert daemon.outage(8) == 1  # longer than the whole 5 s timeout

    step = daemon.steps(run_id)["timeout"]
    assert step.status is StepRunStatus.RUNNING
    assert step.deadline_at == daemon.clock.now() + timedelta(seconds=4.3)
    assert worker.completed(assign, {"done": True}).accepted  # finished within its 5 s
    assert daemon.steps(run_id)["timeout"].status is StepRunStatus.SUCCEEDED


def test_the_rest_of_the_timeout_still_runs_out_after_the_outage(daemon: Daemon) -> None:
    worker, _, run_id = running(daemon, STEP_TIMEOUT)
    daemon.pass_time(1)
    daemon.outage(30)

    daemon.pass_time(3.9, alive=[worker])
    assert daemon.steps(run_id)["timeout"].status is StepRunStatus.RUNNING
    daemon.pass_time(0.1, alive=[worker])
    assert daemon.steps(run_id)["timeout"].cancel_reason is CancelReason.TIMED_OUT


def test_a_deadline_that_had_passed_before_the_outage_falls_due_at_once(daemon: Daemon) -> None:
    _worker, _assign, run_id = running(daemon, STEP_TIMEOUT)
    daemon.clock.advance(6)  # past the deadline, but no tick came before the outage

    assert daemon.outage(10) == 0

    assert daemon.steps(run_id)["timeout"].cancel_reason is CancelReason.TIMED_OUT


def test_the_job_timeout_is_re_based_too(daemon: Daemon) -> None:
    worker, _assign, run_id = running(daemon, JOB_TIMEOUT)
    daemon.pass_time(1)
    daemon.outage(20)

    daemon.pass_time(1.9, alive=[worker])
    assert daemon.trace(run_id).jobs[0].job_run.status is RunStatus.RUNNING
    daemon.pass_time(0.1, alive=[worker])
    assert daemon.steps(run_id)["timeout"].cancel_reason is CancelReason.JOB_TIMED_OUT


def test_a_step_waiting_for_a_worker_keeps_its_schedule_timeout(daemon: Daemon) -> None:
    daemon.load_compat(SCHEDULE_TIMEOUT)
    run_id = daemon.push("user:create").run_ids[0]
    daemon.pass_time(60)
    daemon.outage(600)  # longer than the 5 minutes it may wait

    daemon.pass_time(239)
    assert daemon.steps(run_id)["timeout"].status is StepRunStatus.PENDING_ASSIGNMENT
    daemon.pass_time(1)
    assert daemon.steps(run_id)["timeout"].cancel_reason is CancelReason.SCHEDULING_TIMED_OUT


def test_work_that_began_after_the_last_word_counts_from_its_own_start(daemon: Daemon) -> None:
    daemon.load_compat(STEP_TIMEOUT)
    worker = daemon.connect(actions=["timeout:timeout"])
    stale = daemon.clock.now()  # the replica's last renewal, long before the step started
    daemon.clock.advance(100)
    run_id = daemon.push("user:create").run_ids[0]
    (assign,) = worker.assignments()
    worker.started(assign)
    started = daemon.clock.now()
    daemon.clock.advance(20)

    daemon.call(lambda e: e.recover(stale, daemon.clock.now()))

    step = daemon.steps(run_id)["timeout"]
    assert step.deadline_at == daemon.clock.now() + timedelta(seconds=5)
    assert step.started_at == started


def test_workers_still_connected_count_as_heard_at_recovery(daemon: Daemon) -> None:
    daemon.load_compat(STEP_TIMEOUT)
    worker = daemon.connect(actions=["timeout:timeout"])
    daemon.outage(60)  # no heartbeat could be recorded: far longer than the 15 s lease

    daemon.pass_time(14)
    assert worker.heartbeat() is True  # not lost
