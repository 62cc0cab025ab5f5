"""An idempotency key makes a push safe to retry (design §6)."""

from __future__ import annotations

import pytest

from hatchetd.contracts.events import EventQuery
from hatchetd.contracts.runs import RunQuery
from hatchetd.engine import IdempotencyConflict, Push
from tests.engine.harness import Daemon, one_step_workflow

SIGN_UP = {"user": {"email": "ada@example.com"}}


def counts(daemon: Daemon) -> tuple[int, int]:
    events = daemon.store.list_events(EventQuery(limit=1000)).items
    runs = daemon.store.list_workflow_runs(RunQuery(limit=1000)).items
    return len(events), len(runs)


def test_the_same_key_and_data_return_the_first_event_and_start_nothing(daemon: Daemon) -> None:
    daemon.load(greet=one_step_workflow())
    first = daemon.push_outcome("user:create", SIGN_UP, idempotency_key="signup-ada")

    again = daemon.push_outcome("user:create", SIGN_UP, idempotency_key="signup-ada")

    assert first.created
    assert not again.created
    assert again.event.id == first.event.id
    assert again.event.run_ids == first.event.run_ids
    assert counts(daemon) == (1, 1)


def test_the_same_key_with_other_data_is_a_conflict_and_stores_nothing(daemon: Daemon) -> None:
    daemon.load(greet=one_step_workflow())
    first = daemon.push("user:create", {"n": 1}, idempotency_key="k")

    with pytest.raises(IdempotencyConflict) as raised:
        daemon.push("user:create", {"n": 2}, idempotency_key="k")

    assert first.id in str(raised.value)
    assert "'k'" in str(raised.value)
    assert counts(daemon) == (1, 1)


def test_the_same_key_with_another_event_key_is_a_conflict(daemon: Daemon) -> None:
    daemon.push("user:create", {"n": 1}, idempotency_key="k")

    with pytest.raises(IdempotencyConflict, match="other key"):
        daemon.push("user:delete", {"n": 1}, idempotency_key="k")


def test_a_conflict_in_a_bulk_push_stores_none_of_it(daemon: Daemon) -> None:
    daemon.load(greet=one_step_workflow())
    daemon.push("user:create", {"n": 1}, idempotency_key="k")
    pushes = [Push("user:create", {"n": 9}), Push("user:create", {"n": 2}, idempotency_key="k")]

    with pytest.raises(IdempotencyConflict):
        daemon.call(lambda e: e.push_events(pushes))

    assert counts(daemon) == (1, 1)


def test_a_key_repeated_within_one_push_makes_one_event(daemon: Daemon) -> None:
    daemon.load(greet=one_step_workflow())
    push = Push("user:create", SIGN_UP, idempotency_key="twice")

    first, second = daemon.call(lambda e: e.push_events([push, push]))

    assert first.created
    assert not second.created
    assert second.event == first.event
    assert counts(daemon) == (1, 1)


def test_a_key_repeated_within_one_push_with_other_data_is_a_conflict(daemon: Daemon) -> None:
    pushes = [
        Push("a:b", {"n": 1}, idempotency_key="x"),
        Push("a:b", {"n": 2}, idempotency_key="x"),
    ]

    with pytest.raises(IdempotencyConflict, match="another event of the same push"):
        daemon.call(lambda e: e.push_events(pushes))

    assert counts(daemon) == (0, 0)
