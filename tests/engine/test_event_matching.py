"""Which workflows an event starts, and which version of each."""

from __future__ import annotations

import textwrap

from hatchetd.contracts.enums import RunStatus
from hatchetd.engine import Push
from tests.engine.harness import Daemon, one_step_workflow


def workflows_run_by(daemon: Daemon, run_ids: list[str]) -> list[str]:
    return sorted(daemon.trace(run_id).run.workflow_name for run_id in run_ids)


def test_an_exact_key_starts_its_workflow_and_no_other(daemon: Daemon) -> None:
    daemon.load(
        create=one_step_workflow("on-create", events=["user:create"]),
        delete=one_step_workflow("on-delete", events=["user:delete"]),
    )

    event = daemon.push("user:create")

    assert workflows_run_by(daemon, event.run_ids) == ["on-create"]


def test_a_wildcard_segment_matches_any_one_segment(daemon: Daemon) -> None:
    daemon.load(users=one_step_workflow("any-user-event", events=["user:*"]))

    matched = daemon.push("user:create")
    too_deep = daemon.push("user:create:again")
    other = daemon.push("team:create")

    assert len(matched.run_ids) == 1
    assert too_deep.run_ids == []
    assert other.run_ids == []


def test_an_event_nothing_listens_to_is_stored_with_no_runs(daemon: Daemon) -> None:
    daemon.load(greet=one_step_workflow(events=["user:create"]))

    event = daemon.push("nobody:listens", {"x": 1})

    assert event.run_ids == []
    stored = daemon.store.get_event(event.id)
    assert stored is not None
    assert stored.data == {"x": 1}
    assert stored.run_ids == []


def test_every_workflow_that_matches_gets_a_run(daemon: Daemon) -> None:
    daemon.load(
        audit=one_step_workflow("audit", events=["*:create"]),
        welcome=one_step_workflow("welcome", events=["user:create"]),
        users=one_step_workflow("users", events=["user:*", "user:create"]),
    )

    event = daemon.push("user:create")

    # `users` matches twice over and still runs once.
    assert workflows_run_by(daemon, event.run_ids) == ["audit", "users", "welcome"]


def test_one_push_of_many_events_matches_each(daemon: Daemon) -> None:
    daemon.load(greet=one_step_workflow(events=["user:create"]))

    outcomes = daemon.call(
        lambda e: e.push_events([Push("user:create"), Push("other:thing"), Push("user:create")])
    )

    assert [len(o.event.run_ids) for o in outcomes] == [1, 0, 1]
    assert all(o.created for o in outcomes)


def test_a_run_keeps_the_version_it_started_with(daemon: Daemon) -> None:
    def version(greeting: str) -> str:
        return textwrap.dedent(
            f"""\
            name: greet
            on: [user:create]
            jobs:
              main:
                steps:
                  - id: first
                    action: echo:echo
                    with: {{message: "{greeting} {{{{ .input.name }}}}"}}
                  - id: second
                    action: echo:echo
                    with: {{message: "{greeting} again"}}
            """
        )

    daemon.load(greet=version("Hello"))
    worker = daemon.connect()
    old = daemon.push("user:create", {"name": "Ada"})
    (first,) = worker.assignments()

    daemon.load(greet=version("Bonjour"))
    new = daemon.push("user:create", {"name": "Grace"})
    worker.run(first)  # the old run's second step is rendered after the change

    old_run = daemon.trace(old.run_ids[0]).run
    new_run = daemon.trace(new.run_ids[0]).run
    assert old_run.workflow_version_id != new_run.workflow_version_id
    worker.run_all()
    assert daemon.steps(old.run_ids[0])["second"].input == {"message": "Hello again"}
    assert daemon.steps(new.run_ids[0])["first"].input == {"message": "Bonjour Grace"}
    assert daemon.trace(old.run_ids[0]).run.status is RunStatus.SUCCEEDED


def test_a_deleted_workflow_starts_no_more_runs(daemon: Daemon) -> None:
    daemon.load(greet=one_step_workflow())
    daemon.remove("greet")

    event = daemon.push("user:create")

    assert event.run_ids == []
