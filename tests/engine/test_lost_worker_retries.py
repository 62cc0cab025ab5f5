"""A lost worker's step is retried on another worker while retries remain; a late result from
the lost attempt is rejected, and the step run's log says so."""

from __future__ import annotations

import textwrap

from hatchetd.contracts.enums import CancelReason, RunStatus, StepRunStatus
from hatchetd.contracts.worker_protocol import Assign
from tests.engine.harness import Daemon, FakeWorker

LEASE = 15

REPORT = textwrap.dedent(
    """\
    name: report
    on: [report:requested]
    jobs:
      main:
        steps:
          - id: build
            action: report:build
            timeout: 10m
            retries: 1
            with: {month: '{{ .input.month }}'}
    """
)


def lost_attempt(daemon: Daemon) -> tuple[FakeWorker, FakeWorker, Assign, str]:
    """`silent` starts attempt 1 and goes quiet; `other` stays in touch."""
    daemon.load(report=REPORT)
    silent = daemon.connect("silent", actions=["report:build"], slots=4)
    other = daemon.connect("other", actions=["report:build"], slots=1)
    run_id = daemon.push("report:requested", {"month": "2024-04"}).run_ids[0]
    (first,) = silent.assignments()
    silent.started(first)
    daemon.pass_time(LEASE + 1, alive=[other])
    return silent, other, first, run_id


def test_a_lost_worker_s_step_is_retried_at_once_on_another_worker(daemon: Daemon) -> None:
    _silent, other, first, run_id = lost_attempt(daemon)

    (second,) = other.assignments()
    assert second.attempt == 2
    assert second.input == first.input == {"month": "2024-04"}
    lost, retry = daemon.attempts(run_id, "build")
    assert (lost.id, lost.status, lost.cancel_reason) == (
        first.step_run_id,
        StepRunStatus.CANCELLED,
        CancelReason.WORKER_LOST,
    )
    assert (retry.id, retry.status, retry.worker_id) == (
        second.step_run_id,
        StepRunStatus.ASSIGNED,
        other.id,
    )
    assert daemon.trace(run_id).run.status is RunStatus.RUNNING


def test_a_late_result_from_the_lost_attempt_is_rejected_and_logged(daemon: Daemon) -> None:
    _silent, other, first, run_id = lost_attempt(daemon)
    (second,) = other.assignments()

    back = daemon.connect("silent", actions=["report:build"])  # a new identity
    outcome = back.completed(first, {"rows": 1})

    assert not outcome.accepted
    assert outcome.reason == (
        f"attempt 1 was superseded by attempt 2 (step run {second.step_run_id})"
    )
    assert daemon.logs(first.step_run_id) == [
        f"late result from worker {back.id} rejected: attempt 1 was superseded by attempt 2"
    ]
    assert daemon.steps(run_id)["build"].status is StepRunStatus.ASSIGNED  # attempt 2 goes on


def test_the_result_of_the_retry_is_accepted(daemon: Daemon) -> None:
    _silent, other, _first, run_id = lost_attempt(daemon)
    (second,) = other.assignments()

    outcome = other.run(second, {"rows": 30})

    assert outcome.accepted
    assert daemon.steps(run_id)["build"].output == {"rows": 30}
    assert daemon.trace(run_id).run.status is RunStatus.SUCCEEDED


def test_with_no_retry_left_the_step_is_cancelled_worker_lost_and_the_job_fails(
    daemon: Daemon,
) -> None:
    _silent, other, _first, run_id = lost_attempt(daemon)
    (second,) = other.assignments()
    other.started(second)

    daemon.pass_time(LEASE + 1)  # now `other` goes silent too

    assert [(s.attempt, s.cancel_reason) for s in daemon.attempts(run_id, "build")] == [
        (1, CancelReason.WORKER_LOST),
        (2, CancelReason.WORKER_LOST),
    ]
    trace = daemon.trace(run_id)
    assert trace.jobs[0].job_run.error == (
        "step 'build' was cancelled on attempt 2 of 2: its worker was lost (WORKER_LOST)"
    )
    assert trace.run.status is RunStatus.FAILED
