"""A workflow started by hand: its active version runs with the input given, which templates
read as they read an event's payload; an unknown or deleted workflow is refused, and an
idempotency key makes a start safe to send again."""

from __future__ import annotations

import textwrap
from typing import Any

import pytest

from hatchetd.contracts.enums import RunStatus, StepRunStatus, TriggerKind
from hatchetd.contracts.runs import RunQuery, WorkflowRun
from hatchetd.engine import (
    IdempotencyConflict,
    StartOutcome,
    WorkflowInactive,
    WorkflowNotFound,
)
from tests.engine.harness import Daemon, one_step_workflow

NIGHTLY = textwrap.dedent(
    """\
    name: nightly-report
    jobs:
      report:
        steps:
          - id: gather
            action: echo:echo
            with:
              day: "{{ .input.day }}"
              same_day: "{{ .day }}"
              event: "{{ event }}"
              trigger: "{{ run.id | length > 0 }}"
          - id: send
            action: echo:echo
            with:
              to: "{{ .input.to | default('ops') }}"
              gathered: "{{ .steps.gather.day }}"
    """
)


def start(
    daemon: Daemon, name: str, input: dict[str, Any] | None = None, key: str | None = None
) -> StartOutcome:
    return daemon.call(lambda e: e.start_run(name, input, idempotency_key=key))


def all_runs(daemon: Daemon) -> list[WorkflowRun]:
    return daemon.store.list_workflow_runs(RunQuery(limit=1000)).items


def test_a_workflow_without_triggers_runs_by_hand_with_its_input(daemon: Daemon) -> None:
    daemon.load(nightly=NIGHTLY)
    worker = daemon.connect()

    outcome = start(daemon, "nightly-report", {"day": "2026-12-04", "to": "ada"})

    run = outcome.run
    assert outcome.created
    assert (run.trigger, run.event_id, run.status) == (TriggerKind.MANUAL, None, RunStatus.RUNNING)
    assert run.input == {"day": "2026-12-04", "to": "ada"}
    assert daemon.store.get_workflow_run(run.id) == run
    (gather,) = worker.assignments()  # assigned in the same batch, as a push's run is
    assert gather.input == {
        "day": "2026-12-04",
        "same_day": "2026-12-04",
        "event": None,
        "trigger": True,
    }
    worker.run(gather)
    (send,) = worker.assignments()
    assert send.input == {"to": "ada", "gathered": "2026-12-04"}
    worker.run(send)
    assert daemon.trace(run.id).run.status is RunStatus.SUCCEEDED


def test_a_workflow_with_event_triggers_runs_by_hand_too(daemon: Daemon) -> None:
    daemon.load(greet=one_step_workflow())
    worker = daemon.connect()

    run = start(daemon, "greet", {"name": "Ada"}).run

    (assign,) = worker.assignments()
    assert assign.input == {"message": "Hello Ada"}
    assert daemon.store.get_workflow_run(run.id) == run
    workflow = daemon.store.get_workflow("greet")
    assert workflow is not None
    assert run.workflow_version_id == workflow.current_version_id


def test_no_input_is_an_empty_one(daemon: Daemon) -> None:
    daemon.load(greet=one_step_workflow(with_="{message: '{{ input | tojson }}'}"))
    worker = daemon.connect()

    run = start(daemon, "greet").run

    assert run.input == {}
    (assign,) = worker.assignments()
    assert assign.input == {"message": "{}"}


def test_an_unknown_workflow_is_refused_and_nothing_is_stored(daemon: Daemon) -> None:
    daemon.load(greet=one_step_workflow())

    with pytest.raises(WorkflowNotFound, match="no workflow named 'nope'"):
        start(daemon, "nope")

    assert all_runs(daemon) == []


def test_a_workflow_whose_file_was_deleted_is_refused_with_why(daemon: Daemon) -> None:
    daemon.load(greet=one_step_workflow())
    daemon.remove("greet")

    with pytest.raises(WorkflowInactive, match=r"greet\.yaml was deleted"):
        start(daemon, "greet")

    assert all_runs(daemon) == []


def test_the_input_survives_a_restart_for_the_steps_still_to_render(daemon: Daemon) -> None:
    daemon.load(nightly=NIGHTLY)
    worker = daemon.connect()
    run = start(daemon, "nightly-report", {"day": "2026-12-04"}).run
    (gather,) = worker.assignments()
    worker.started(gather)

    again = daemon.restart()  # the engine's memory of the run is gone: read from the store
    back = again.connect()  # the worker reconnects, with a new id
    assert back.completed(gather, gather.input).accepted

    (send,) = back.assignments()
    assert send.input == {"to": "ops", "gathered": "2026-12-04"}
    assert again.steps(run.id)["send"].status is StepRunStatus.ASSIGNED


def test_the_same_key_and_input_return_the_first_run_and_start_nothing(daemon: Daemon) -> None:
    daemon.load(greet=one_step_workflow())
    first = start(daemon, "greet", {"name": "Ada"}, key="greet-ada")

    again = start(daemon, "greet", {"name": "Ada"}, key="greet-ada")

    assert first.created
    assert not again.created
    assert again.run == first.run
    assert again.run.idempotency_key == "greet-ada"
    assert len(all_runs(daemon)) == 1


def test_the_same_key_still_answers_once_the_workflow_is_deleted(daemon: Daemon) -> None:
    daemon.load(greet=one_step_workflow())
    first = start(daemon, "greet", {"name": "Ada"}, key="greet-ada")
    daemon.remove("greet")

    again = start(daemon, "greet", {"name": "Ada"}, key="greet-ada")

    assert again.run.id == first.run.id


@pytest.mark.parametrize(
    ("name", "input", "what"),
    [("greet", {"name": "Bob"}, "other input"), ("other", {"name": "Ada"}, "another workflow")],
)
def test_the_same_key_with_another_start_is_a_conflict(
    daemon: Daemon, name: str, input: dict[str, Any], what: str
) -> None:
    daemon.load(greet=one_step_workflow(), other=one_step_workflow(name="other"))
    first = start(daemon, "greet", {"name": "Ada"}, key="k")

    with pytest.raises(IdempotencyConflict, match=what) as raised:
        start(daemon, name, input, key="k")

    assert first.run.id in str(raised.value)
    assert len(all_runs(daemon)) == 1


def test_a_key_another_daemon_took_meanwhile_returns_its_run(
    daemon: Daemon, monkeypatch: pytest.MonkeyPatch
) -> None:
    daemon.load(greet=one_step_workflow())
    theirs = start(daemon, "greet", {"name": "Ada"}, key="raced").run
    looked = daemon.store.get_workflow_run_by_idempotency_key
    calls: list[str] = []

    def not_yet_the_first_time(key: str) -> WorkflowRun | None:
        # This daemon looks before the other one's insert commits, then inserts after it.
        calls.append(key)
        return None if len(calls) == 1 else looked(key)

    monkeypatch.setattr(daemon.store, "get_workflow_run_by_idempotency_key", not_yet_the_first_time)

    outcome = start(daemon, "greet", {"name": "Ada"}, key="raced")

    assert (outcome.run, outcome.created) == (theirs, False)
    assert len(all_runs(daemon)) == 1
