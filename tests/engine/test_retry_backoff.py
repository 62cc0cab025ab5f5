"""A retry after a failure or a timeout waits: 1 s, then twice as long each time, at most 60 s."""

from __future__ import annotations

import textwrap

import pytest

from hatchetd.contracts.enums import CancelReason, StepRunStatus
from hatchetd.engine.retries import BACKOFF_BASE, BACKOFF_CAP, backoff_delay
from tests.engine.harness import Daemon

FLAKY = textwrap.dedent(
    """\
    name: flaky
    on: [job:run]
    jobs:
      main:
        steps:
          - id: flaky
            action: flaky:run
            timeout: 5s
            retries: 9
    """
)


def test_the_backoff_doubles_from_one_second_up_to_a_minute() -> None:
    assert (BACKOFF_BASE, BACKOFF_CAP) == (1.0, 60.0)
    assert [backoff_delay(attempt) for attempt in range(1, 10)] == [
        1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 60.0, 60.0, 60.0,
    ]  # fmt: skip
    assert backoff_delay(10_000) == 60.0


def test_attempts_are_numbered_from_one() -> None:
    with pytest.raises(ValueError, match="from 1, not 0"):
        backoff_delay(0)


def test_a_failed_attempt_is_assigned_again_only_once_its_backoff_is_over(
    daemon: Daemon,
) -> None:
    daemon.load(flaky=FLAKY)
    worker = daemon.connect(actions=["flaky:run"])
    run_id = daemon.push("job:run").run_ids[0]
    (first,) = worker.assignments()
    failed_at = daemon.clock.now()
    worker.failed(first, "RuntimeError: flaky")

    retry = daemon.steps(run_id)["flaky"]
    assert (retry.attempt, retry.status) == (2, StepRunStatus.PENDING)
    assert retry.deadline_at == failed_at.replace(second=1)  # when it may run
    daemon.pass_time(0.9)
    assert worker.assignments() == []
    assert daemon.steps(run_id)["flaky"].status is StepRunStatus.PENDING

    daemon.pass_time(0.1)

    (second,) = worker.assignments()
    assert second.attempt == 2
    assert second.step_run_id == retry.id


def test_each_backoff_is_twice_the_one_before(daemon: Daemon) -> None:
    daemon.load(flaky=FLAKY)
    worker = daemon.connect(actions=["flaky:run"])
    daemon.push("job:run")
    (assign,) = worker.assignments()

    waits = []
    for _ in range(4):
        worker.failed(assign, "RuntimeError: flaky")
        waited = 0.0
        while not (assigned := worker.assignments()):
            daemon.pass_time(0.25)  # the runtime's tick interval
            waited += 0.25
        (assign,) = assigned
        waits.append(waited)

    assert waits == [1.0, 2.0, 4.0, 8.0]
    assert assign.attempt == 5


def test_a_timed_out_attempt_is_retried_after_its_backoff(daemon: Daemon) -> None:
    daemon.load(flaky=FLAKY)
    worker = daemon.connect(actions=["flaky:run"])
    run_id = daemon.push("job:run").run_ids[0]
    (first,) = worker.assignments()
    worker.started(first)

    daemon.pass_time(5)
    (cancel,) = worker.cancellations()
    assert (cancel.step_run_id, cancel.reason) == (first.step_run_id, CancelReason.TIMED_OUT)
    daemon.pass_time(0.9)
    assert worker.assignments() == []
    daemon.pass_time(0.1)

    (second,) = worker.assignments()
    assert second.attempt == 2
    first_run, second_run = daemon.attempts(run_id, "flaky")
    assert (first_run.status, first_run.cancel_reason) == (
        StepRunStatus.CANCELLED,
        CancelReason.TIMED_OUT,
    )
    assert second_run.status is StepRunStatus.ASSIGNED
    assert daemon.trace(run_id).run.finished_at is None


def test_the_backoff_stops_growing_at_a_minute(daemon: Daemon) -> None:
    daemon.load(flaky=FLAKY)
    worker = daemon.connect(actions=["flaky:run"])
    run_id = daemon.push("job:run").run_ids[0]

    waits = []
    for _ in range(8):
        (assign,) = worker.assignments()
        failed_at = daemon.clock.now()
        worker.failed(assign, "RuntimeError: flaky")
        retry = daemon.steps(run_id)["flaky"]
        assert retry.deadline_at is not None
        wait = (retry.deadline_at - failed_at).total_seconds()
        waits.append(wait)
        daemon.pass_time(wait, alive=[worker])

    assert waits == [1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 60.0, 60.0]
