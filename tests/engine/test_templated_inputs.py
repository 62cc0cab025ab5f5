"""Step inputs are rendered from the event, earlier outputs and the run just before assignment."""

from __future__ import annotations

import textwrap

from hatchetd.contracts.enums import CancelReason, RunStatus, StepRunStatus
from hatchetd.engine import Push
from tests.engine.harness import Daemon, one_step_workflow

SIGN_UP = {"user": {"firstName": "Ada", "email": "ada@example.com"}}


def test_the_compat_chain_feeds_each_step_the_output_of_the_one_before(daemon: Daemon) -> None:
    daemon.load_compat("upstream/simple--sample-workflow.yaml")
    worker = daemon.connect(actions=["echo:echo"])
    event = daemon.push("user:create", {"username": "ada"})

    inputs = []
    outputs = []
    while assignments := worker.assignments():
        (assign,) = assignments  # one job: its steps run one after another
        inputs.append(assign.input)
        outputs.append(assign.step_outputs)
        worker.run(assign)

    assert inputs == [
        {"message": "Username is ada"},
        {"message": "Above message is: Username is ada"},
        {"message": "Above message is: Above message is: Username is ada"},
    ]
    assert outputs == [
        {},
        {"echo1": {"message": "Username is ada"}},
        {
            "echo1": {"message": "Username is ada"},
            "echo2": {"message": "Above message is: Username is ada"},
        },
    ]
    assert daemon.trace(event.run_ids[0]).run.status is RunStatus.SUCCEEDED
    assert daemon.steps(event.run_ids[0])["echo3"].input == inputs[2]


def test_later_steps_wait_pending_until_the_one_before_succeeds(daemon: Daemon) -> None:
    daemon.load_compat("upstream/simple--sample-workflow.yaml")
    worker = daemon.connect(actions=["echo:echo"])
    event = daemon.push("user:create", {"username": "ada"})
    run_id = event.run_ids[0]

    assert daemon.statuses(run_id) == {
        "echo1": StepRunStatus.ASSIGNED,
        "echo2": StepRunStatus.PENDING,
        "echo3": StepRunStatus.PENDING,
    }
    (first,) = worker.assignments()
    daemon.clock.advance(1)
    worker.run(first)

    echo2 = daemon.steps(run_id)["echo2"]
    assert echo2.status is StepRunStatus.ASSIGNED
    assert echo2.assigned_at == daemon.clock.now()


def test_the_sign_up_workflow_runs_three_jobs_in_parallel(daemon: Daemon) -> None:
    daemon.load_compat("seed/post-user-sign-up.yaml")
    worker = daemon.connect(
        actions=["sandbox:create", "postmark:email-from-template", "newsletter:add-user"], slots=3
    )

    event = daemon.push("user:create", SIGN_UP)
    assignments = {a.action: a for a in worker.assignments()}

    # All three at once: the jobs do not wait for each other.
    assert set(assignments) == {
        "sandbox:create",
        "postmark:email-from-template",
        "newsletter:add-user",
    }
    # `{{ .user.email }}` reads the payload's top-level key, as in the original README.
    assert assignments["postmark:email-from-template"].input == {
        "firstName": "Ada",
        "email": "ada@example.com",
    }
    assert assignments["newsletter:add-user"].input == {"email": "ada@example.com"}
    assert assignments["sandbox:create"].input == {}
    for assign in assignments.values():
        worker.run(assign, {"ok": True})
    trace = daemon.trace(event.run_ids[0])
    assert trace.run.status is RunStatus.SUCCEEDED
    assert [j.job_run.job_name for j in trace.jobs] == [
        "create-resources",
        "greet-user",
        "add-to-newsletter",
    ]
    assert {j.job_run.status for j in trace.jobs} == {RunStatus.SUCCEEDED}


def test_templates_see_the_event_the_workflow_and_the_run(daemon: Daemon) -> None:
    with_ = (
        "{event: '{{ .event.key }} {{ .event.id }} {{ .event.created_at }}',"
        " workflow: '{{ .workflow.name }}@{{ .workflow.version }}',"
        " run: '{{ .run.id }}', greeting: '$GREETING {{ .input.name }}'}"
    )
    daemon.load(greet=one_step_workflow(with_=with_, version="1.10"))
    worker = daemon.connect()

    event = daemon.push("user:create", {"name": "Ada"})
    (assign,) = worker.assignments()

    assert assign.input == {
        "event": f"user:create {event.id} {event.created_at.isoformat()}",
        "workflow": "greet@1.10",
        "run": event.run_ids[0],
        "greeting": "Hello Ada",
    }


def test_a_template_that_cannot_render_fails_the_step_and_cancels_the_rest(
    daemon: Daemon,
) -> None:
    daemon.load(
        chain=textwrap.dedent(
            """\
            name: chain
            on: [user:create]
            jobs:
              main:
                steps:
                  - id: greet
                    action: echo:echo
                    with: {message: "Hello {{ .input.nickname }}"}
                  - id: after
                    action: echo:echo
            """
        )
    )
    worker = daemon.connect()

    event = daemon.push("user:create", {"name": "Ada"})

    assert worker.assignments() == []
    run_id = event.run_ids[0]
    steps = daemon.steps(run_id)
    assert steps["greet"].status is StepRunStatus.FAILED
    assert steps["greet"].error == (
        "with.message: 'dict object' has no attribute 'nickname' in \"Hello {{ .input.nickname }}\""
    )
    assert steps["greet"].worker_id is None
    assert steps["after"].status is StepRunStatus.CANCELLED
    assert steps["after"].cancel_reason is CancelReason.PREVIOUS_STEP_FAILED
    trace = daemon.trace(run_id)
    assert trace.jobs[0].job_run.status is RunStatus.FAILED
    assert trace.run.status is RunStatus.FAILED
    assert trace.run.error is not None
    assert "nickname" in trace.run.error


def test_a_failed_render_leaves_the_worker_slot_free_for_other_work(daemon: Daemon) -> None:
    daemon.load(
        broken=one_step_workflow("broken", events=["broken:one"], with_="{x: '{{ .input.nope }}'}"),
        fine=one_step_workflow("fine", events=["fine:one"]),
    )
    worker = daemon.connect(slots=1)

    broken, fine = daemon.call(
        lambda e: e.push_events([Push("broken:one"), Push("fine:one", {"name": "Ada"})])
    )

    (assign,) = worker.assignments()
    assert assign.workflow_run_id == fine.event.run_ids[0]
    assert assign.input == {"message": "Hello Ada"}
    assert daemon.trace(broken.event.run_ids[0]).run.status is RunStatus.FAILED


def test_an_unset_environment_variable_fails_the_step_naming_it(daemon: Daemon) -> None:
    daemon.load(slack=one_step_workflow("slack", with_="{user: '$SLACK_USER_ID'}"))
    daemon.connect()

    event = daemon.push("user:create", {})

    step = daemon.steps(event.run_ids[0])["only"]
    assert step.status is StepRunStatus.FAILED
    assert step.error == "with.user: environment variable $SLACK_USER_ID is not set"
