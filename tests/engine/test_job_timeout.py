"""A job's `timeout` counts from the job's start; when it runs out, what is left of the job is
cancelled (JOB_TIMED_OUT) and the job fails."""

from __future__ import annotations

import textwrap

from hatchetd.contracts.enums import CancelReason, RunStatus, StepRunStatus
from hatchetd.contracts.worker_protocol import Cancel
from tests.engine.harness import Daemon

JOB_TIMEOUT = "upstream/timeout--job-timeout-workflow.yaml"  # job 3s, its one step 10s

CHAIN = textwrap.dedent(
    """\
    name: chain
    on: [order:placed]
    jobs:
      fulfil:
        timeout: 10s
        steps:
          - id: reserve
            action: stock:reserve
          - id: pack
            action: stock:pack
            timeout: 1m
          - id: ship
            action: stock:ship
      notify:
        steps:
          - id: email
            action: mail:send
    """
)


def test_the_compat_job_timeout_wins_over_the_longer_step_timeout(daemon: Daemon) -> None:
    daemon.load_compat(JOB_TIMEOUT)
    worker = daemon.connect(actions=["timeout:timeout"])
    run_id = daemon.push("user:create").run_ids[0]
    started_at = daemon.clock.now()
    (assign,) = worker.assignments()
    worker.started(assign)
    # The step's own deadline is capped by its job's.
    assert daemon.steps(run_id)["timeout"].deadline_at == started_at.replace(second=3)

    daemon.pass_time(2.9)
    assert daemon.steps(run_id)["timeout"].status is StepRunStatus.RUNNING
    daemon.pass_time(0.1)

    assert daemon.statuses(run_id) == {"timeout": "CANCELLED/JOB_TIMED_OUT"}
    assert worker.cancellations() == [
        Cancel(step_run_id=assign.step_run_id, attempt=1, reason=CancelReason.JOB_TIMED_OUT)
    ]
    trace = daemon.trace(run_id)
    job = trace.jobs[0].job_run
    assert job.status is RunStatus.FAILED
    assert job.error == "job timed out after 3s (JOB_TIMED_OUT)"
    assert job.finished_at == daemon.clock.now()
    assert trace.run.status is RunStatus.FAILED
    assert trace.run.error == "job 'timeout-job' failed: job timed out after 3s (JOB_TIMED_OUT)"


def test_a_job_timeout_cancels_the_running_and_the_pending_steps(daemon: Daemon) -> None:
    daemon.load(chain=CHAIN)
    worker = daemon.connect(actions=["stock:reserve", "stock:pack", "mail:send"], slots=2)
    run_id = daemon.push("order:placed").run_ids[0]
    assignments = {a.action: a for a in worker.assignments()}
    daemon.pass_time(2)
    worker.run(assignments["stock:reserve"], {"reserved": True})
    (pack,) = worker.assignments()
    worker.started(pack)

    daemon.pass_time(7.9)
    assert worker.cancellations() == []
    daemon.pass_time(0.1)  # ten seconds after the job started

    assert daemon.statuses(run_id) == {
        "reserve": StepRunStatus.SUCCEEDED,
        "pack": "CANCELLED/JOB_TIMED_OUT",
        "ship": "CANCELLED/JOB_TIMED_OUT",
        "email": StepRunStatus.ASSIGNED,  # the other job carries on
    }
    assert worker.cancellations() == [
        Cancel(step_run_id=pack.step_run_id, attempt=1, reason=CancelReason.JOB_TIMED_OUT)
    ]
    jobs = {j.job_run.job_name: j.job_run for j in daemon.trace(run_id).jobs}
    assert jobs["fulfil"].status is RunStatus.FAILED
    assert jobs["notify"].status is RunStatus.RUNNING
    assert daemon.trace(run_id).run.status is RunStatus.RUNNING

    worker.run(assignments["mail:send"], {"sent": True})
    assert daemon.trace(run_id).run.status is RunStatus.FAILED


def test_a_job_timeout_counts_from_the_job_s_start_even_while_no_worker_is_there(
    daemon: Daemon,
) -> None:
    daemon.load_compat(JOB_TIMEOUT)
    run_id = daemon.push("user:create").run_ids[0]

    daemon.pass_time(2.9)
    assert daemon.steps(run_id)["timeout"].status is StepRunStatus.PENDING_ASSIGNMENT
    daemon.pass_time(0.1)  # long before the five minutes of its schedule timeout

    assert daemon.statuses(run_id) == {"timeout": "CANCELLED/JOB_TIMED_OUT"}
    worker = daemon.connect(actions=["timeout:timeout"])
    assert worker.assignments() == []


def test_a_result_after_the_job_timed_out_is_rejected(daemon: Daemon) -> None:
    daemon.load_compat(JOB_TIMEOUT)
    worker = daemon.connect(actions=["timeout:timeout"])
    run_id = daemon.push("user:create").run_ids[0]
    (assign,) = worker.assignments()
    worker.started(assign)
    daemon.pass_time(3)

    outcome = worker.completed(assign, {"done": True})

    assert not outcome.accepted
    assert outcome.reason == (f"step run {assign.step_run_id} is already CANCELLED (JOB_TIMED_OUT)")
    assert daemon.trace(run_id).run.status is RunStatus.FAILED
