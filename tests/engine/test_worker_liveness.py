"""Workers that go silent are lost; what they held is cancelled once a lease has passed."""

from __future__ import annotations

from hatchetd.contracts.enums import CancelReason, RunStatus, StepRunStatus, WorkerStatus
from tests.engine.harness import Daemon, FakeWorker, one_step_workflow

LEASE = 15  # three heartbeat intervals of five seconds


def worker_status(daemon: Daemon, worker: FakeWorker) -> WorkerStatus:
    stored = daemon.store.get_worker(worker.id)
    assert stored is not None
    return stored.status


def running_step_timeout_run(daemon: Daemon) -> tuple[FakeWorker, str]:
    daemon.load_compat("upstream/timeout--step-timeout-workflow.yaml")
    worker = daemon.connect(actions=["timeout:timeout"])
    run_id = daemon.push("user:create").run_ids[0]
    (assign,) = worker.assignments()
    worker.started(assign)
    return worker, run_id


def test_a_disconnected_worker_s_step_is_cancelled_once_its_lease_expires(
    daemon: Daemon,
) -> None:
    worker, run_id = running_step_timeout_run(daemon)

    worker.disconnect()
    assert worker_status(daemon, worker) is WorkerStatus.STOPPED
    daemon.clock.advance(LEASE - 1)
    daemon.tick()
    assert daemon.steps(run_id)["timeout"].status is StepRunStatus.RUNNING  # it may come back

    lost_at = daemon.clock.advance(2)
    daemon.tick()

    # What the acceptance test of a worker killed mid-step sees.
    assert daemon.statuses(run_id) == {
        "timeout": "CANCELLED/WORKER_LOST",
        "later-step": "CANCELLED/PREVIOUS_STEP_FAILED",
    }
    trace = daemon.trace(run_id)
    assert trace.run.status is RunStatus.FAILED
    assert trace.run.finished_at == lost_at
    assert trace.jobs[0].job_run.error == (
        "step 'timeout' was cancelled: its worker was lost (WORKER_LOST)"
    )
    assert daemon.store.count_step_runs().get(StepRunStatus.RUNNING, 0) == 0


def test_a_worker_that_misses_its_heartbeats_is_lost_and_its_steps_cancelled(
    daemon: Daemon,
) -> None:
    worker, run_id = running_step_timeout_run(daemon)

    daemon.clock.advance(LEASE + 1)
    daemon.tick()

    assert worker_status(daemon, worker) is WorkerStatus.LOST
    step = daemon.steps(run_id)["timeout"]
    assert step.status is StepRunStatus.CANCELLED
    assert step.cancel_reason is CancelReason.WORKER_LOST
    assert not worker.heartbeat()  # a lost worker stays lost


def test_heartbeats_keep_a_worker_alive(daemon: Daemon) -> None:
    daemon.load(greet=one_step_workflow())  # its step may run for a minute
    worker = daemon.connect()
    run_id = daemon.push("user:create", {"name": "Ada"}).run_ids[0]
    (assign,) = worker.assignments()
    worker.started(assign)

    for _ in range(10):
        daemon.clock.advance(5)
        assert worker.heartbeat()
        daemon.tick()

    assert worker_status(daemon, worker) is WorkerStatus.ACTIVE
    stored = daemon.store.get_worker(worker.id)
    assert stored is not None
    assert stored.last_heartbeat_at == daemon.clock.now()
    assert daemon.steps(run_id)["only"].status is StepRunStatus.RUNNING


def test_a_lost_worker_gets_no_more_work(daemon: Daemon) -> None:
    daemon.load_compat("upstream/timeout--step-timeout-workflow.yaml")
    silent = daemon.connect("silent", actions=["timeout:timeout"])
    daemon.clock.advance(LEASE + 1)
    daemon.tick()

    daemon.push("user:create")

    assert silent.assignments() == []
    fresh = daemon.connect("fresh", actions=["timeout:timeout"])
    assert len(fresh.assignments()) == 1


def test_a_worker_back_within_the_lease_finishes_its_step(daemon: Daemon) -> None:
    worker, run_id = running_step_timeout_run(daemon)
    step = daemon.steps(run_id)["timeout"]

    worker.disconnect()
    daemon.clock.advance(LEASE - 5)
    again = daemon.connect(actions=["timeout:timeout"])
    outcome = daemon.call(lambda e: e.step_completed(again.id, step.id, 1, {"ok": True}))
    daemon.clock.advance(LEASE)
    daemon.tick()

    assert outcome.accepted
    assert daemon.steps(run_id)["timeout"].status is StepRunStatus.SUCCEEDED
    (later,) = again.assignments()
    assert later.step_run_id == daemon.steps(run_id)["later-step"].id
