"""After a restart the engine picks up from the store: nothing waiting or running is lost."""

from __future__ import annotations

import pytest

from hatchetd.contracts.enums import CancelReason, RunStatus, StepRunStatus, WorkerStatus
from hatchetd.engine import Push
from tests.engine.harness import Daemon, one_step_workflow


def test_waiting_steps_are_queued_again_after_a_restart(daemon: Daemon) -> None:
    daemon.load_compat("upstream/simple--sample-workflow.yaml")
    event = daemon.push("user:create", {"username": "ada"})

    restarted = daemon.restart()
    worker = restarted.connect(actions=["echo:echo"])

    (assign,) = worker.assignments()
    assert assign.input == {"message": "Username is ada"}
    worker.run(assign)
    worker.run_all()
    assert restarted.trace(event.run_ids[0]).run.status is RunStatus.SUCCEEDED
    assert restarted.steps(event.run_ids[0])["echo3"].input == {
        "message": "Above message is: Above message is: Username is ada"
    }


def test_the_active_workflows_survive_a_restart(daemon: Daemon) -> None:
    daemon.load(greet=one_step_workflow())

    restarted = daemon.restart()
    event = restarted.push("user:create", {"name": "Ada"})

    assert len(event.run_ids) == 1


def test_a_result_computed_across_a_restart_is_accepted(daemon: Daemon) -> None:
    daemon.load_compat("upstream/simple--sample-workflow.yaml")
    worker = daemon.connect(actions=["echo:echo"])
    run_id = daemon.push("user:create", {"username": "ada"}).run_ids[0]
    (assign,) = worker.assignments()
    worker.started(assign)

    restarted = daemon.restart()
    back = restarted.connect(actions=["echo:echo"])  # the worker reconnects, with a new id
    outcome = back.completed(assign, assign.input)

    assert outcome.accepted
    (second,) = back.assignments()
    assert second.input == {"message": "Above message is: Username is ada"}
    assert second.step_outputs == {"echo1": {"message": "Username is ada"}}
    assert restarted.steps(run_id)["echo2"].status is StepRunStatus.ASSIGNED


def test_steps_of_workers_that_never_come_back_are_lost_a_lease_after_the_restart(
    daemon: Daemon,
) -> None:
    daemon.load_compat("upstream/simple--sample-workflow.yaml")
    worker = daemon.connect(actions=["echo:echo"])
    run_id = daemon.push("user:create", {"username": "ada"}).run_ids[0]
    (assign,) = worker.assignments()
    worker.started(assign)
    crashed_at = daemon.clock.now()
    daemon.clock.advance(3600)  # the daemon was down for an hour

    restarted = daemon.restart(down_at=crashed_at)
    restarted.tick()
    assert restarted.steps(run_id)["echo1"].status is StepRunStatus.RUNNING

    restarted.clock.advance(16)
    restarted.tick()

    step = restarted.steps(run_id)["echo1"]
    assert step.status is StepRunStatus.CANCELLED
    assert step.cancel_reason is CancelReason.WORKER_LOST
    stored = restarted.store.get_worker(worker.id)
    assert stored is not None
    assert stored.status is WorkerStatus.LOST


def test_a_rolled_back_batch_leaves_nothing_behind_in_the_engine(daemon: Daemon) -> None:
    daemon.load(greet=one_step_workflow())
    worker = daemon.connect(slots=1)

    def batch_that_fails() -> None:
        with daemon.store.batch():
            daemon.engine.worker_connected("ghost", ["echo:echo"], 5)
            daemon.engine.push_events([Push("user:create", {"name": "lost"})])
            assert daemon.engine.dispatch() == 1  # to the ghost: it has the most free slots
            raise RuntimeError("disk full")

    with pytest.raises(RuntimeError, match="disk full"):
        batch_that_fails()
    daemon.call(lambda e: e.resync())  # what the runtime does after a failed batch

    assert daemon.engine.drain_effects() == []
    event = daemon.push("user:create", {"name": "Ada"})
    (assign,) = worker.assignments()  # its slot is free again, and no ghost took the step
    assert assign.workflow_run_id == event.run_ids[0]
    assert [w.name for w in daemon.store.list_workers()] == ["worker"]


def test_runs_finish_right_when_few_fit_in_memory(daemon: Daemon) -> None:
    small = daemon.restart(cached_runs=1)
    small.load_compat("upstream/simple--sample-workflow.yaml")
    worker = small.connect(actions=["echo:echo"], slots=3)
    run_ids = [small.push("user:create", {"username": name}).run_ids[0] for name in "abc"]

    worker.run_all()

    for run_id, name in zip(run_ids, "abc", strict=True):
        assert small.trace(run_id).run.status is RunStatus.SUCCEEDED
        assert small.steps(run_id)["echo3"].input == {
            "message": f"Above message is: Above message is: Username is {name}"
        }
