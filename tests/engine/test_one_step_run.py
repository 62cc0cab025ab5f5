"""A one-step run from the event to SUCCEEDED, driven the way a worker drives it."""

from __future__ import annotations

from hatchetd.contracts.enums import RunStatus, StepRunStatus, TriggerKind, WorkerStatus
from hatchetd.engine import Push
from tests.engine.harness import Daemon, StatementLog, one_step_workflow


def test_an_event_runs_its_workflow_on_a_worker_to_success(daemon: Daemon) -> None:
    daemon.load(greet=one_step_workflow())
    worker = daemon.connect(actions=["echo:echo"])

    pushed_at = daemon.clock.now()
    event = daemon.push("user:create", {"name": "Ada"})
    (run_id,) = event.run_ids
    (assign,) = worker.assignments()

    assert assign.workflow_run_id == run_id
    assert assign.action == "echo:echo"
    assert assign.attempt == 1
    assert assign.input == {"message": "Hello Ada"}
    assert assign.step_outputs == {}
    assert assign.timeout == 60.0

    started_at = daemon.clock.advance(1)
    assert worker.started(assign)
    finished_at = daemon.clock.advance(2)
    outcome = worker.completed(assign, {"sent": True})

    assert outcome.accepted
    assert outcome.reason is None
    trace = daemon.trace(run_id)
    run = trace.run
    assert run.status is RunStatus.SUCCEEDED
    assert run.trigger is TriggerKind.EVENT
    assert run.event_id == event.id
    assert (run.created_at, run.started_at, run.finished_at) == (pushed_at, pushed_at, finished_at)
    (job,) = trace.jobs
    assert job.job_run.status is RunStatus.SUCCEEDED
    assert job.job_run.finished_at == finished_at
    (step,) = job.step_runs
    assert step.status is StepRunStatus.SUCCEEDED
    assert step.input == {"message": "Hello Ada"}
    assert step.output == {"sent": True}
    assert step.worker_id == worker.id
    assert (step.created_at, step.assigned_at, step.started_at, step.finished_at) == (
        pushed_at,
        pushed_at,
        started_at,
        finished_at,
    )


def test_the_event_remembers_the_run_it_started(daemon: Daemon) -> None:
    daemon.load(greet=one_step_workflow())

    event = daemon.push("user:create", {"name": "Ada"})

    stored = daemon.store.get_event(event.id)
    assert stored is not None
    assert stored.run_ids == event.run_ids
    assert stored.data == {"name": "Ada"}


def test_a_running_step_has_its_execution_deadline(daemon: Daemon) -> None:
    daemon.load(greet=one_step_workflow())
    worker = daemon.connect()
    event = daemon.push("user:create", {"name": "Ada"})
    (assign,) = worker.assignments()

    waiting = daemon.steps(event.run_ids[0])["only"]
    assert waiting.status is StepRunStatus.ASSIGNED
    assert waiting.deadline_at is not None
    # Assigned and not yet started: the execution timeout already counts, from the assignment.
    assert (waiting.deadline_at - event.created_at).total_seconds() == 60
    started_at = daemon.clock.advance(5)
    worker.started(assign)

    running = daemon.steps(event.run_ids[0])["only"]
    assert running.status is StepRunStatus.RUNNING
    assert running.deadline_at is not None
    assert (running.deadline_at - started_at).total_seconds() == 60


def test_a_worker_is_saved_active_when_it_connects(daemon: Daemon) -> None:
    worker = daemon.connect("billing", actions=["echo:echo", "echo:echo", "mail:send"], slots=4)

    stored = daemon.store.get_worker(worker.id)
    assert stored is not None
    assert stored.status is WorkerStatus.ACTIVE
    assert stored.name == "billing"
    assert stored.actions == ["echo:echo", "mail:send"]
    assert stored.slots == 4


def test_a_one_step_run_costs_nine_statements_and_reads_nothing_back(daemon: Daemon) -> None:
    daemon.load(greet=one_step_workflow())
    worker = daemon.connect()
    log = StatementLog()

    with log.recording():
        (outcome,) = daemon.call(lambda e: e.push_events([Push("user:create", {"name": "Ada"})]))
        (assign,) = worker.assignments()
        worker.started(assign)
        worker.completed(assign, {"sent": True})

    assert daemon.trace(outcome.event.run_ids[0]).run.status is RunStatus.SUCCEEDED
    assert log.count("SELECT") == 0, log.statements
    assert log.tables("INSERT") == ["events", "workflow_runs", "job_runs", "step_runs"]
    assert log.tables("UPDATE") == [
        "step_runs",  # ASSIGNED, with the rendered input
        "step_runs",  # RUNNING
        "step_runs",  # SUCCEEDED, with the output
        "job_runs",  # SUCCEEDED
        "workflow_runs",  # SUCCEEDED
    ]
    assert len(log.statements) == 9


def test_a_tick_with_nothing_due_costs_one_read_and_no_write(daemon: Daemon) -> None:
    daemon.load(greet=one_step_workflow())
    worker = daemon.connect()
    daemon.push("user:create", {"name": "Ada"})
    (assign,) = worker.assignments()
    worker.started(assign)
    daemon.tick()  # the first tick sweeps the store for lost workers; the next in a second
    daemon.clock.advance(0.25)
    log = StatementLog()

    with log.recording():
        daemon.tick()

    assert log.count("SELECT") == 1, log.statements  # the step runs whose deadline passed
    assert "deadline_at" in log.statements[0]
    assert len(log.statements) == 1


def test_the_sweep_for_lost_workers_reads_twice_a_second_and_writes_nothing(
    daemon: Daemon,
) -> None:
    daemon.load(greet=one_step_workflow())
    worker = daemon.connect()
    daemon.push("user:create", {"name": "Ada"})
    (assign,) = worker.assignments()
    worker.started(assign)
    daemon.tick()
    log = StatementLog()

    with log.recording():
        for _ in range(4):
            daemon.clock.advance(0.25)
            daemon.tick()

    sweeps = [s for s in log.statements if "workers" in s]
    assert len(sweeps) == 2, log.statements  # the connected workers, and the silent holds
    assert log.count("SELECT") == 4 + 2
    assert len(log.statements) == 6
