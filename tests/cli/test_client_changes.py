"""`Client.changes()`: the change stream read with the standard library, against a real daemon."""

from __future__ import annotations

import queue
import threading

import pytest

from hatchet_cli import Client
from hatchet_cli.client import HatchetError
from hatchetd.contracts.changes import Change, ChangeKind
from hatchetd.contracts.events import Event
from hatchetd.contracts.runs import WorkflowRun
from tests.cli.conftest import Hatchet


def test_pushes_arrive_as_changes(hatchet: Hatchet) -> None:
    received: queue.Queue[Change] = queue.Queue()
    reader = Client(hatchet.address)

    def read() -> None:
        for change in reader.changes(kinds=["event", "run"]):
            received.put(change)
            if change.kind is ChangeKind.RUN:
                return

    thread = threading.Thread(target=read, daemon=True)
    thread.start()
    with Client(hatchet.address) as client:
        # The stream is open once the daemon counts a subscriber; push until the first arrives.
        event = None
        for _ in range(50):
            event = client.events.push("user:create", {"user": {"email": "a@b.c"}})
            try:
                first = received.get(timeout=0.2)
                break
            except queue.Empty:
                continue
        else:
            pytest.fail("no change arrived")
    assert event is not None
    assert first.kind is ChangeKind.EVENT
    stored = first.record_model()
    assert isinstance(stored, Event)
    assert stored.key == "user:create"
    run = received.get(timeout=5)
    assert run.kind is ChangeKind.RUN
    assert run.run_id in event.run_ids
    assert isinstance(run.record_model(), WorkflowRun)
    thread.join(5)
    reader.close()


def test_a_bad_filter_is_the_daemons_error(hatchet: Hatchet) -> None:
    with Client(hatchet.address) as client, pytest.raises(HatchetError) as raised:
        next(client.changes(kinds=["nonsense"]))
    assert raised.value.status == 422
