"""The example workflow and the example worker, tested together with `hatchet_cli.testing`.

    pytest examples/

This is how to test your own: point `WorkflowEnvironment` at your workflow folder, hand it your
`Worker`, push the event (or run the workflow by hand) and assert on what the steps returned.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from worker import build_worker

from hatchet_cli.testing import WorkflowEnvironment

SIGN_UP = Path(__file__).resolve().parents[1] / ".hatchet/post-user-sign-up.yaml"


@pytest.fixture(scope="module")
def hatchet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WorkflowEnvironment]:
    # A copy of the one workflow under test: the rest of .hatchet/ is the user's to change.
    workflows = tmp_path_factory.mktemp("workflows")
    shutil.copy(SIGN_UP, workflows)
    with WorkflowEnvironment(workflows, workers=[build_worker("example-test")]) as env:
        yield env


def test_a_sign_up_creates_a_sandbox_greets_the_user_and_subscribes_them(
    hatchet: WorkflowEnvironment,
) -> None:
    pushed = hatchet.push("user:create", {"user": {"firstName": "Ada", "email": "ada@example.com"}})

    [trace] = pushed.traces
    assert trace.run.status == "SUCCEEDED"
    assert trace.output("createSandbox")["owner"] == "ada@example.com"
    assert trace.output("greetUser")["to"] == "ada@example.com"
    assert trace.output("greetUser")["template"] == "welcome"
    assert trace.output("addUserToNewsletter")["newsletter"] == "product-updates"


def test_a_sign_up_without_an_email_fails_in_the_step_that_needs_one(
    hatchet: WorkflowEnvironment,
) -> None:
    pushed = hatchet.push("user:create", {"user": {"firstName": "Ada"}})

    [trace] = pushed.traces
    assert trace.run.status == "FAILED"
    failed = {step.step_id for job in trace.jobs for step in job.step_runs if step.error}
    assert "createSandbox" in failed


def test_the_workflow_can_be_started_by_hand_with_the_same_input(
    hatchet: WorkflowEnvironment,
) -> None:
    trace = hatchet.run(
        "post-user-sign-up", {"user": {"firstName": "Grace", "email": "grace@example.com"}}
    )

    assert trace.run.status == "SUCCEEDED"
    assert trace.run.trigger == "MANUAL"
    assert trace.output("greetUser")["to"] == "grace@example.com"
