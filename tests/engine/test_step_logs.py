"""Lines a step logs are stored with the step run."""

from __future__ import annotations

from tests.engine.harness import Daemon, one_step_workflow


def test_log_lines_are_stored_in_order_with_their_time(daemon: Daemon) -> None:
    daemon.load(greet=one_step_workflow())
    worker = daemon.connect()
    daemon.push("user:create", {"name": "Ada"})
    (assign,) = worker.assignments()

    def log(line: str) -> bool:
        return daemon.call(lambda e: e.append_log(worker.id, assign.step_run_id, 1, line))

    daemon.clock.advance(1)
    assert log("connecting")
    daemon.clock.advance(1)
    assert log("sent")

    logs = daemon.store.list_step_logs(assign.step_run_id)
    assert [log.line for log in logs] == ["connecting", "sent"]
    assert logs[-1].at == daemon.clock.now()


def test_a_log_line_for_an_unknown_step_run_is_dropped(daemon: Daemon) -> None:
    worker = daemon.connect()

    assert not daemon.call(lambda e: e.append_log(worker.id, "no-such-step", 1, "hello"))
    assert daemon.store.list_step_logs("no-such-step") == []
