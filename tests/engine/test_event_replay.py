"""Replay: a new event linked to its original, run by the workflows active now."""

from __future__ import annotations

import pytest

from hatchetd.contracts.events import EventQuery
from hatchetd.contracts.payload_paths import PathValue
from hatchetd.engine import EventNotFound, PayloadEditFailed
from tests.engine.harness import Daemon, one_step_workflow


def test_a_replay_is_a_new_event_with_the_original_data(daemon: Daemon) -> None:
    daemon.load(greet=one_step_workflow())
    worker = daemon.connect()
    original = daemon.push("user:create", {"name": "Ada"})
    worker.run_all()
    daemon.clock.advance(60)

    (replay,) = daemon.call(lambda e: e.replay_events([original.id]))

    assert replay.id != original.id
    assert replay.replayed_from_id == original.id
    assert replay.key == "user:create"
    assert replay.data == {"name": "Ada"}
    assert replay.created_at == daemon.clock.now()
    assert len(replay.run_ids) == 1
    assert replay.run_ids != original.run_ids
    (assign,) = worker.assignments()
    assert assign.input == {"message": "Hello Ada"}
    stored = daemon.store.get_event(original.id)
    assert stored is not None
    assert stored.replay_ids == [replay.id]


def test_a_replay_may_carry_edited_data(daemon: Daemon) -> None:
    daemon.load(greet=one_step_workflow())
    worker = daemon.connect()
    original = daemon.push("user:create", {"name": "Ada"})
    worker.run_all()

    (replay,) = daemon.call(lambda e: e.replay_events([original.id], {"name": "Grace"}))

    assert replay.data == {"name": "Grace"}
    (assign,) = worker.assignments()
    assert assign.input == {"message": "Hello Grace"}
    original_now = daemon.store.get_event(original.id)
    assert original_now is not None
    assert original_now.data == {"name": "Ada"}


def test_a_replay_runs_the_workflow_versions_active_now(daemon: Daemon) -> None:
    daemon.load(greet=one_step_workflow(events=["user:create"]))
    original = daemon.push("user:create", {"name": "Ada"})
    daemon.load(greet=one_step_workflow(with_="{message: 'Hi {{ .input.name }}'}"))
    daemon.load(other=one_step_workflow("other", events=["user:*"]))

    (replay,) = daemon.call(lambda e: e.replay_events([original.id]))

    versions = {daemon.trace(r).run.workflow_version_id for r in replay.run_ids}
    assert len(replay.run_ids) == 2
    assert daemon.trace(original.run_ids[0]).run.workflow_version_id not in versions


def test_replaying_an_unknown_event_names_it_and_stores_nothing(daemon: Daemon) -> None:
    daemon.load(greet=one_step_workflow())
    known = daemon.push("user:create", {"name": "Ada"})

    with pytest.raises(EventNotFound, match="'nope'"):
        daemon.call(lambda e: e.replay_events([known.id, "nope"]))

    assert len(daemon.store.list_events(EventQuery()).items) == 1


def parsed(*texts: str) -> list[PathValue]:
    return [PathValue.parse(text) for text in texts]


def test_a_replay_edits_each_events_own_payload(daemon: Daemon) -> None:
    daemon.load(greet=one_step_workflow())
    worker = daemon.connect(slots=2)
    ada = daemon.push("user:create", {"name": "Ada", "user": {"id": 1, "plan": "free"}})
    grace = daemon.push("user:create", {"name": "Grace", "user": {"id": 2}})
    worker.run_all()

    replays = daemon.call(
        lambda e: e.replay_events(
            [ada.id, grace.id],
            edits=parsed("user.plan=pro", "flags.beta=true", "name=Linus"),
        )
    )

    assert [r.data for r in replays] == [
        {"name": "Linus", "user": {"id": 1, "plan": "pro"}, "flags": {"beta": True}},
        {"name": "Linus", "user": {"id": 2, "plan": "pro"}, "flags": {"beta": True}},
    ]
    assert [a.input for a in worker.assignments()] == [
        {"message": "Hello Linus"},
        {"message": "Hello Linus"},
    ]
    stored = daemon.store.get_event(ada.id)
    assert stored is not None
    assert stored.data == {"name": "Ada", "user": {"id": 1, "plan": "free"}}


def test_edits_apply_after_new_data_in_order(daemon: Daemon) -> None:
    daemon.load(greet=one_step_workflow())
    original = daemon.push("user:create", {"name": "Ada"})

    (replay,) = daemon.call(
        lambda e: e.replay_events(
            [original.id], {"name": "Grace", "n": 1}, parsed("n=2", "n=null", 'zip="02139"')
        )
    )

    assert replay.data == {"name": "Grace", "n": None, "zip": "02139"}


def test_an_edit_through_a_value_that_is_not_an_object_replays_nothing(daemon: Daemon) -> None:
    daemon.load(greet=one_step_workflow())
    fine = daemon.push("user:create", {"user": {"name": "Ada"}})
    stuck = daemon.push("user:create", {"user": "ada"})

    with pytest.raises(PayloadEditFailed) as raised:
        daemon.call(lambda e: e.replay_events([fine.id, stuck.id], edits=parsed("user.name=Bo")))

    assert str(raised.value) == (
        f"event {stuck.id}: cannot set user.name: user holds a string, not an object; "
        "nothing was replayed"
    )
    assert len(daemon.store.list_events(EventQuery()).items) == 2
