"""Cancelling a run stops what runs, cancels what waits, and tells the workers."""

from __future__ import annotations

import pytest

from hatchetd.contracts.enums import CancelReason, RunStatus, StepRunStatus
from hatchetd.engine import RunNotFound
from tests.engine.harness import Daemon

THREE_JOBS = """\
name: three-jobs
on: [user:create]
jobs:
  running:
    steps:
      - id: busy
        action: work:busy
      - id: next
        action: work:busy
  waiting:
    steps:
      - id: nobody
        action: nobody:home
  done:
    steps:
      - id: quick
        action: work:quick
"""


def test_cancel_run_cancels_every_step_not_yet_final_and_tells_the_worker(
    daemon: Daemon,
) -> None:
    daemon.load(three=THREE_JOBS)
    worker = daemon.connect(actions=["work:busy", "work:quick"], slots=2)
    run_id = daemon.push("user:create").run_ids[0]
    assignments = {a.action: a for a in worker.assignments()}
    worker.run(assignments["work:quick"], {"ok": True})
    worker.started(assignments["work:busy"])

    cancelled_at = daemon.clock.advance(4)
    run = daemon.call(lambda e: e.cancel_run(run_id))

    assert run.status is RunStatus.CANCELLED
    assert run.cancel_reason is CancelReason.USER_CANCELLED
    assert run.finished_at == cancelled_at
    (cancel,) = worker.cancellations()
    assert cancel.step_run_id == assignments["work:busy"].step_run_id
    assert cancel.attempt == 1
    assert cancel.reason is CancelReason.USER_CANCELLED
    assert daemon.statuses(run_id) == {
        "busy": "CANCELLED/USER_CANCELLED",
        "next": "CANCELLED/USER_CANCELLED",
        "nobody": "CANCELLED/USER_CANCELLED",
        "quick": StepRunStatus.SUCCEEDED,
    }
    jobs = {j.job_run.job_name: j.job_run for j in daemon.trace(run_id).jobs}
    assert jobs["running"].status is RunStatus.CANCELLED
    assert jobs["waiting"].status is RunStatus.CANCELLED
    assert jobs["done"].status is RunStatus.SUCCEEDED


def test_a_cancelled_waiting_step_is_never_assigned(daemon: Daemon) -> None:
    daemon.load(three=THREE_JOBS)
    run_id = daemon.push("user:create").run_ids[0]

    daemon.call(lambda e: e.cancel_run(run_id))
    late = daemon.connect(actions=["nobody:home", "work:busy", "work:quick"], slots=5)

    assert late.assignments() == []


def test_cancelling_frees_the_worker_slot(daemon: Daemon) -> None:
    daemon.load(three=THREE_JOBS)
    worker = daemon.connect(actions=["work:busy"], slots=1)
    first = daemon.push("user:create").run_ids[0]
    daemon.push("user:create")
    (busy,) = worker.assignments()
    assert busy.workflow_run_id == first

    daemon.call(lambda e: e.cancel_run(first))

    (following,) = worker.assignments()
    assert following.workflow_run_id != first


def test_cancelling_a_finished_run_changes_nothing(daemon: Daemon) -> None:
    daemon.load(three=THREE_JOBS)
    worker = daemon.connect(actions=["work:busy", "work:quick", "nobody:home"], slots=3)
    run_id = daemon.push("user:create").run_ids[0]
    worker.run_all()
    before = daemon.trace(run_id)
    assert before.run.status is RunStatus.SUCCEEDED

    run = daemon.call(lambda e: e.cancel_run(run_id))

    assert run.status is RunStatus.SUCCEEDED
    assert daemon.trace(run_id) == before
    assert worker.cancellations() == []


def test_cancelling_an_unknown_run_is_an_error(daemon: Daemon) -> None:
    with pytest.raises(RunNotFound, match="no run with id 'nope'"):
        daemon.call(lambda e: e.cancel_run("nope"))
