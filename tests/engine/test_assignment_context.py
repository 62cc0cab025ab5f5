"""An assignment names its step, its workflow and the event that started the run (`ctx.step_id`,
`ctx.workflow_name`, `ctx.event` in the SDK), from what the engine holds: no read of its own."""

from __future__ import annotations

from hatchetd.contracts.worker_protocol import TriggerEvent
from tests.engine.cron_helpers import at, cron_runs, cron_workflow, tick_until
from tests.engine.harness import Daemon, StatementLog


def test_each_step_of_a_chain_is_assigned_with_its_id_the_workflow_and_the_event(
    daemon: Daemon,
) -> None:
    daemon.load_compat("upstream/simple--sample-workflow.yaml")
    worker = daemon.connect(actions=["echo:echo"])
    event = daemon.push("user:create", {"username": "ada"})

    seen = []
    while assignments := worker.assignments():
        (assign,) = assignments
        seen.append((assign.step_id, assign.workflow_name, assign.event))
        worker.run(assign)

    trigger = TriggerEvent(id=event.id, key="user:create", created_at=event.created_at)
    assert seen == [
        ("echo1", "post-user-sign-up", trigger),
        ("echo2", "post-user-sign-up", trigger),
        ("echo3", "post-user-sign-up", trigger),
    ]


def test_assigning_reads_nothing_back_to_name_the_step_and_the_event(daemon: Daemon) -> None:
    daemon.load_compat("upstream/simple--sample-workflow.yaml")
    worker = daemon.connect(actions=["echo:echo"])
    log = StatementLog()

    with log.recording():
        daemon.push("user:create", {"username": "ada"})
        (first,) = worker.assignments()
        worker.run(first)  # its result commits, and the second step is assigned
        (second,) = worker.assignments()

    assert log.count("SELECT") == 0, log.statements
    assert second.event is not None
    assert (second.step_id, second.event.key) == ("echo2", "user:create")


def test_after_a_restart_the_event_is_read_back_with_the_run(daemon: Daemon) -> None:
    daemon.load_compat("upstream/simple--sample-workflow.yaml")
    event = daemon.push("user:create", {"username": "ada"})

    restarted = daemon.restart()
    (assign,) = restarted.connect(actions=["echo:echo"]).assignments()

    assert assign.step_id == "echo1"
    assert assign.workflow_name == "post-user-sign-up"
    assert assign.event == TriggerEvent(id=event.id, key="user:create", created_at=event.created_at)


def test_a_cron_run_is_assigned_with_no_event(daemon: Daemon) -> None:
    daemon.load(nightly=cron_workflow())
    worker = daemon.connect(actions=["echo:echo"])

    tick_until(daemon, at(12, 15), workers=[worker])

    (run,) = cron_runs(daemon)
    (assign,) = worker.assignments()
    assert assign.workflow_run_id == run.id
    assert (assign.step_id, assign.workflow_name, assign.event) == ("only", "nightly", None)
