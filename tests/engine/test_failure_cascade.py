"""A step that fails takes the rest of its job with it; the run fails once every job is final."""

from __future__ import annotations

import textwrap

from hatchetd.contracts.enums import CancelReason, RunStatus, StepRunStatus
from tests.engine.harness import Daemon

TRACEBACK = 'Traceback (most recent call last):\n  File "worker.py", line 3\nValueError: no\n'

TWO_JOBS = textwrap.dedent(
    """\
    name: two-jobs
    on: [user:create]
    jobs:
      charge:
        steps:
          - id: reserve
            action: billing:reserve
          - id: capture
            action: billing:capture
          - id: receipt
            action: billing:receipt
      greet:
        steps:
          - id: email
            action: mail:send
    """
)


def test_a_failed_step_cancels_the_later_steps_and_fails_the_job_and_run(
    daemon: Daemon,
) -> None:
    daemon.load(two=TWO_JOBS)
    worker = daemon.connect(actions=["billing:reserve", "mail:send"], slots=2)
    event = daemon.push("user:create")
    run_id = event.run_ids[0]
    assignments = {a.action: a for a in worker.assignments()}
    worker.run(assignments["mail:send"], {"sent": True})
    worker.started(assignments["billing:reserve"])

    failed_at = daemon.clock.advance(3)
    outcome = worker.failed(assignments["billing:reserve"], "ValueError: no", TRACEBACK)

    assert outcome.accepted
    steps = daemon.steps(run_id)
    assert steps["reserve"].status is StepRunStatus.FAILED
    assert steps["reserve"].error == "ValueError: no\n\n" + TRACEBACK.rstrip()
    assert steps["reserve"].finished_at == failed_at
    for later in ("capture", "receipt"):
        assert steps[later].status is StepRunStatus.CANCELLED
        assert steps[later].cancel_reason is CancelReason.PREVIOUS_STEP_FAILED
        assert steps[later].finished_at == failed_at
    assert steps["email"].status is StepRunStatus.SUCCEEDED
    trace = daemon.trace(run_id)
    jobs = {j.job_run.job_name: j.job_run for j in trace.jobs}
    assert jobs["charge"].status is RunStatus.FAILED
    assert jobs["charge"].error == "step 'reserve' failed: ValueError: no"
    assert jobs["greet"].status is RunStatus.SUCCEEDED
    assert trace.run.status is RunStatus.FAILED
    assert trace.run.error == "job 'charge' failed: step 'reserve' failed: ValueError: no"
    assert trace.run.finished_at == failed_at


def test_the_run_fails_only_after_the_other_jobs_finish(daemon: Daemon) -> None:
    daemon.load(two=TWO_JOBS)
    worker = daemon.connect(actions=["billing:reserve", "mail:send"], slots=2)
    event = daemon.push("user:create")
    run_id = event.run_ids[0]
    assignments = {a.action: a for a in worker.assignments()}

    worker.failed(assignments["billing:reserve"], "RuntimeError: card declined")

    assert daemon.trace(run_id).run.status is RunStatus.RUNNING
    daemon.clock.advance(1)
    worker.run(assignments["mail:send"], {"sent": True})
    run = daemon.trace(run_id).run
    assert run.status is RunStatus.FAILED
    assert run.finished_at == daemon.clock.now()


def test_a_failure_without_traceback_keeps_the_error_as_sent(daemon: Daemon) -> None:
    daemon.load(two=TWO_JOBS)
    worker = daemon.connect(actions=["billing:reserve"])
    event = daemon.push("user:create")
    (assign,) = worker.assignments()

    worker.failed(assign, "KeyError: 'card'")

    assert daemon.steps(event.run_ids[0])["reserve"].error == "KeyError: 'card'"


def test_a_failed_step_frees_its_slot(daemon: Daemon) -> None:
    daemon.load(two=TWO_JOBS)
    worker = daemon.connect(actions=["billing:reserve"], slots=1)
    daemon.push("user:create")
    daemon.push("user:create")
    (first,) = worker.assignments()

    worker.failed(first, "RuntimeError: boom")

    (second,) = worker.assignments()
    assert second.step_run_id != first.step_run_id
