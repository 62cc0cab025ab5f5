"""A step no worker takes within its `schedule_timeout` is cancelled (SCHEDULING_TIMED_OUT)
and not retried: nothing ran."""

from __future__ import annotations

import textwrap

from hatchetd.contracts.enums import CancelReason, RunStatus, StepRunStatus
from tests.engine.harness import Daemon

SCHEDULE_TIMEOUT = "upstream/schedule-timeout--schedule-timeout-workflow.yaml"  # default: 5m

CHAIN = textwrap.dedent(
    """\
    name: chain
    on: [order:placed]
    jobs:
      fulfil:
        steps:
          - id: reserve
            action: stock:reserve
            timeout: 5m
          - id: ship
            action: courier:ship
            schedule_timeout: 30s
            retries: 3
    """
)


def test_the_compat_step_with_no_worker_times_out_after_five_minutes(daemon: Daemon) -> None:
    daemon.load_compat(SCHEDULE_TIMEOUT)
    run_id = daemon.push("user:create").run_ids[0]

    daemon.pass_time(299.9)
    assert daemon.steps(run_id)["timeout"].status is StepRunStatus.PENDING_ASSIGNMENT
    daemon.pass_time(0.1)

    assert daemon.statuses(run_id) == {"timeout": "CANCELLED/SCHEDULING_TIMED_OUT"}
    trace = daemon.trace(run_id)
    assert trace.jobs[0].job_run.error == (
        "step 'timeout' waited 5m for a worker with action 'timeout:timeout' (SCHEDULING_TIMED_OUT)"
    )
    assert trace.run.status is RunStatus.FAILED
    assert trace.run.finished_at == daemon.clock.now()
    late = daemon.connect(actions=["timeout:timeout"])
    assert late.assignments() == []


def test_a_worker_that_comes_in_time_gets_the_step(daemon: Daemon) -> None:
    daemon.load_compat(SCHEDULE_TIMEOUT)
    run_id = daemon.push("user:create").run_ids[0]
    daemon.pass_time(299)

    worker = daemon.connect(actions=["timeout:timeout"])
    (assign,) = worker.assignments()
    worker.started(assign)
    daemon.pass_time(2)

    assert daemon.steps(run_id)["timeout"].status is StepRunStatus.RUNNING


def test_a_later_step_waits_from_when_it_became_ready_and_is_not_retried(
    daemon: Daemon,
) -> None:
    daemon.load(chain=CHAIN)
    worker = daemon.connect(actions=["stock:reserve"])
    run_id = daemon.push("order:placed").run_ids[0]
    (reserve,) = worker.assignments()
    worker.started(reserve)
    daemon.pass_time(100, alive=[worker])  # reserving takes 100 s
    worker.completed(reserve, {"reserved": True})

    daemon.pass_time(29.9)
    assert daemon.steps(run_id)["ship"].status is StepRunStatus.PENDING_ASSIGNMENT
    daemon.pass_time(0.1)
    timed_out_at = daemon.clock.now()
    daemon.pass_time(120)  # long past any backoff

    (ship,) = daemon.attempts(run_id, "ship")  # retries: 3, and still one attempt
    assert ship.status is StepRunStatus.CANCELLED
    assert ship.cancel_reason is CancelReason.SCHEDULING_TIMED_OUT
    assert ship.finished_at == timed_out_at
    assert daemon.trace(run_id).run.status is RunStatus.FAILED
