"""After a restart every step run in flight is resolved: timeouts, backoffs and leases all carry
on from the store, so nothing is left RUNNING or ASSIGNED on a worker that is gone."""

from __future__ import annotations

import textwrap

from hatchetd.contracts.enums import CancelReason, RunStatus, StepRunStatus
from tests.engine.harness import Daemon

LEASE = 15

JOBS = textwrap.dedent(
    """\
    name: jobs
    on: [go]
    jobs:
      running:
        steps:
          - id: running
            action: work:run
            timeout: 5m
            retries: 1
      assigned:
        steps:
          - id: assigned
            action: work:run
            timeout: 5m
      backing-off:
        steps:
          - id: backing-off
            action: work:flaky
            retries: 1
      waiting:
        steps:
          - id: waiting
            action: work:nobody
            schedule_timeout: 2m
      timed:
        timeout: 90s
        steps:
          - id: timed
            action: work:nobody
    """
)


def test_after_a_restart_nothing_stays_running_or_assigned(daemon: Daemon) -> None:
    daemon.load(jobs=JOBS)
    worker = daemon.connect(actions=["work:run", "work:flaky"], slots=3)
    run_id = daemon.push("go").run_ids[0]
    step_ids = {s.id: step_id for step_id, s in daemon.steps(run_id).items()}
    by_step = {step_ids[a.step_run_id]: a for a in worker.assignments()}
    worker.started(by_step["running"])
    worker.failed(by_step["backing-off"], "RuntimeError: flaky")  # attempt 2 waits 1 s
    assert daemon.statuses(run_id) == {
        "running": StepRunStatus.RUNNING,
        "assigned": StepRunStatus.ASSIGNED,
        "backing-off": StepRunStatus.PENDING,
        "waiting": StepRunStatus.PENDING_ASSIGNMENT,
        "timed": StepRunStatus.PENDING_ASSIGNMENT,
    }

    restarted = daemon.restart()  # the worker never comes back
    fresh = restarted.connect("fresh", actions=["work:run", "work:flaky"], slots=5)
    restarted.pass_time(1, alive=[fresh])
    (flaky,) = fresh.assignments()  # the backoff carried over the restart
    assert (flaky.action, flaky.attempt) == ("work:flaky", 2)
    fresh.run(flaky, {"ok": True})
    restarted.pass_time(LEASE, alive=[fresh])
    (retried,) = fresh.assignments()  # the lost worker's running step, retried at once
    assert (retried.step_run_id, retried.attempt) == (
        restarted.steps(run_id)["running"].id,
        2,
    )
    fresh.run(retried, {"ok": True})
    restarted.pass_time(180, alive=[fresh])

    assert restarted.statuses(run_id) == {
        "running": StepRunStatus.SUCCEEDED,
        "assigned": "CANCELLED/WORKER_LOST",
        "backing-off": StepRunStatus.SUCCEEDED,
        "waiting": "CANCELLED/SCHEDULING_TIMED_OUT",
        "timed": "CANCELLED/JOB_TIMED_OUT",
    }
    counts = restarted.store.count_step_runs()
    assert counts.get(StepRunStatus.RUNNING, 0) == counts.get(StepRunStatus.ASSIGNED, 0) == 0
    assert restarted.trace(run_id).run.status is RunStatus.FAILED


def test_a_worker_back_after_the_restart_reports_even_past_the_step_s_deadline(
    daemon: Daemon,
) -> None:
    daemon.load_compat("upstream/timeout--step-timeout-workflow.yaml")  # step timeout: 5s
    worker = daemon.connect(actions=["timeout:timeout"])
    run_id = daemon.push("user:create").run_ids[0]
    (assign,) = worker.assignments()
    worker.started(assign)
    crashed_at = daemon.clock.now()
    daemon.clock.advance(60)  # the daemon was down for a minute; the step finished in time

    restarted = daemon.restart(down_at=crashed_at)
    restarted.tick()
    back = restarted.connect(actions=["timeout:timeout"])
    outcome = back.completed(assign, {"ok": True})

    assert outcome.accepted  # fencing is by attempt, not by worker identity
    assert restarted.steps(run_id)["timeout"].status is StepRunStatus.SUCCEEDED
    (later,) = back.assignments()
    assert later.attempt == 1


def test_a_step_that_overran_while_the_daemon_was_down_times_out_after_the_restart(
    daemon: Daemon,
) -> None:
    daemon.load_compat("upstream/timeout--step-timeout-workflow.yaml")  # step timeout: 5s
    worker = daemon.connect(actions=["timeout:timeout"])
    run_id = daemon.push("user:create").run_ids[0]
    (assign,) = worker.assignments()
    worker.started(assign)
    crashed_at = daemon.clock.now()
    daemon.clock.advance(60)

    restarted = daemon.restart(down_at=crashed_at)
    back = restarted.connect(actions=["timeout:timeout"])
    restarted.pass_time(LEASE + 1, alive=[back])  # its old connection never reports

    step = restarted.steps(run_id)["timeout"]
    assert step.status is StepRunStatus.CANCELLED
    assert step.cancel_reason is CancelReason.WORKER_LOST
    assert restarted.trace(run_id).run.status is RunStatus.FAILED


def test_a_job_timeout_survives_a_restart(daemon: Daemon) -> None:
    daemon.load_compat("upstream/timeout--job-timeout-workflow.yaml")  # job timeout: 3s
    run_id = daemon.push("user:create").run_ids[0]
    daemon.clock.advance(1)

    restarted = daemon.restart()
    restarted.pass_time(1.9)
    assert restarted.steps(run_id)["timeout"].status is StepRunStatus.PENDING_ASSIGNMENT
    restarted.pass_time(0.1)

    assert restarted.statuses(run_id) == {"timeout": "CANCELLED/JOB_TIMED_OUT"}
