"""Lines a step logs are stored with the step run."""

from __future__ import annotations

import pytest

from hatchetd.contracts.runs import RunStepLog
from hatchetd.runtime import signals
from hatchetd.store.protocol import NOTIFY_LIMIT, Written
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


def test_a_stored_line_is_reported_with_its_run(daemon: Daemon) -> None:
    # What the change stream and the other daemons on a shared store hear of it.
    seen: list[Written] = []
    daemon.store.observe(seen.append)
    daemon.load(greet=one_step_workflow())
    worker = daemon.connect()
    event = daemon.push("user:create", {"name": "Ada"})
    (assign,) = worker.assignments()

    assert daemon.call(lambda e: e.append_log(worker.id, assign.step_run_id, 1, "hello"))

    (logged,) = [r for r in seen if isinstance(r, RunStepLog)]
    assert logged.workflow_run_id == event.run_ids[0]
    assert (logged.step_run_id, logged.line) == (assign.step_run_id, "hello")
    assert logged.at == daemon.clock.now()


@pytest.mark.parametrize("size", [10, 60_000], ids=["short", "too-long-for-one-notify"])
def test_a_line_travels_to_the_other_daemons(daemon: Daemon, size: int) -> None:
    seen: list[Written] = []
    daemon.store.observe(seen.append)
    daemon.load(greet=one_step_workflow())
    worker = daemon.connect()
    daemon.push("user:create", {"name": "Ada"})
    (assign,) = worker.assignments()
    daemon.call(lambda e: e.append_log(worker.id, assign.step_run_id, 1, "x" * size))
    (logged,) = [r for r in seen if isinstance(r, RunStepLog)]

    payloads = signals.encode("replica-a", [logged])

    assert all(len(p.encode()) <= NOTIFY_LIMIT for p in payloads)
    heard = [r for p in payloads for r in signals.decode(p, "replica-b", daemon.store) or []]
    assert heard == [logged]
