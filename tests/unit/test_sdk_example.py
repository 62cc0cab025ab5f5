"""The example worker (examples/worker.py) serves every shipped workflow, and each job's steps,
rendered with the daemon's own templating, chain through its actions as the workflow files mean."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml

from hatchet_cli.sdk import Worker
from hatchet_cli.testing import WorkflowEnvironment
from hatchetd.contracts.enums import CancelReason
from hatchetd.contracts.worker_protocol import (
    Assign,
    Cancel,
    Completed,
    Failed,
    Log,
    WorkerMessage,
)
from hatchetd.templating import build_template_data, render_value
from tests.live import example_worker_module

ROOT = Path(__file__).resolve().parents[2]
UPSTREAM = ROOT / "tests/fixtures/compat/upstream"
SEED_SIGN_UP = ROOT / "tests/fixtures/compat/seed/post-user-sign-up.yaml"
SERVED = [
    ROOT / ".hatchet/post-user-sign-up.yaml",
    SEED_SIGN_UP,
    UPSTREAM / "simple--sample-workflow.yaml",
    UPSTREAM / "yaml--sample-workflow.yaml",
    UPSTREAM / "slack--slack-channel.yaml",
    UPSTREAM / "timeout--step-timeout-workflow.yaml",
    UPSTREAM / "timeout--job-timeout-workflow.yaml",
    UPSTREAM / "schedule-timeout--schedule-timeout-workflow.yaml",
    UPSTREAM / "requeue--job-requeue-workflow.yaml",
    UPSTREAM / "cron--cron-workflow.yaml",
]


@pytest.fixture(scope="module")
def example() -> Iterator[ModuleType]:
    with example_worker_module() as module:
        yield module


def build(example: ModuleType) -> Worker:
    worker = example.build_worker("example-test", slots=4, address="http://127.0.0.1:1")
    assert isinstance(worker, Worker)
    return worker


def steps_of(path: Path) -> dict[str, list[dict[str, Any]]]:
    spec = yaml.safe_load(path.read_text())
    return {name: job["steps"] for name, job in spec["jobs"].items()}


async def run_step(worker: Worker, assign: Assign) -> list[WorkerMessage]:
    sent: list[WorkerMessage] = []
    runner = worker._step_runner(sent.append)
    try:
        runner.assign(assign)
        async with asyncio.timeout(10):
            while runner.running:
                await asyncio.sleep(0.001)
    finally:
        await runner.aclose()
    return sent


def run_job(
    worker: Worker, path: Path, payload: dict[str, Any], environ: dict[str, str] | None = None
) -> dict[str, dict[str, Any]]:
    """Run every job of a workflow file step by step, rendering each `with:` from the payload
    and the earlier outputs as the daemon does; each step's output and log lines by step id."""
    done: dict[str, dict[str, Any]] = {}
    for steps in steps_of(path).values():
        outputs: dict[str, Any] = {}
        for number, step in enumerate(steps):
            data = build_template_data(
                input=payload,
                steps=outputs,
                event={"id": "ev-1", "key": "user:create", "created_at": "2024-05-01T00:00:00Z"},
                workflow={"name": "w", "version": "v1"},
                run={"id": "run-1"},
            )
            assign = Assign(
                step_run_id=f"sr-{step['id']}",
                attempt=1,
                workflow_run_id="run-1",
                action=step["action"],
                input=render_value(step.get("with", {}), data, environ=environ or {}),
                step_outputs=dict(outputs),
            )
            sent = asyncio.run(run_step(worker, assign))
            (result,) = [m for m in sent if isinstance(m, Completed | Failed)]
            assert isinstance(result, Completed), (path.name, number, result)
            outputs[step["id"]] = result.output
            logs = [m.line for m in sent if isinstance(m, Log)]
            done[step["id"]] = {"output": result.output, "logs": logs}
    return done


def test_the_example_worker_serves_every_action_of_the_shipped_workflows(
    example: ModuleType,
) -> None:
    needed = {
        step["action"] for path in SERVED for steps in steps_of(path).values() for step in steps
    }
    assert needed <= set(build(example).actions), sorted(needed - set(build(example).actions))


def test_the_yaml_sample_chains_echo_outputs_into_echo_object(example: ModuleType) -> None:
    done = run_job(build(example), UPSTREAM / "yaml--sample-workflow.yaml", {"username": "ada"})

    assert done["echo1"]["output"] == {
        "message": "Username is ada",
        "json": {"message": "Username is ada"},
    }
    assert done["echo3"]["output"]["message"] == (
        "Above message is: Above message is: Username is ada"
    )
    assert done["testObject"]["output"] == {
        "message": "Above message is: Above message is: Username is ada"
    }
    assert done["echo1"]["logs"] == ["echo: Username is ada"]


def test_the_sign_up_workflow_runs_its_three_jobs(example: ModuleType) -> None:
    payload = {"user": {"firstName": "Ada", "email": "ada@example.com"}}

    done = run_job(build(example), ROOT / ".hatchet/post-user-sign-up.yaml", payload)

    assert done["createSandbox"]["output"]["owner"] == "ada@example.com"
    assert done["createSandbox"]["output"]["sandboxId"].startswith("sbx_")
    assert done["greetUser"]["output"] == {
        "messageId": done["greetUser"]["output"]["messageId"],
        "to": "ada@example.com",
        "template": "welcome",
    }
    assert done["addUserToNewsletter"]["output"]["newsletter"] == "product-updates"


def test_the_seed_s_sign_up_workflow_runs_as_the_original_readme_wrote_it(
    example: ModuleType,
) -> None:
    # createSandbox has no `with:`; the other steps template the payload at the top level.
    payload = {"user": {"firstName": "Ada", "email": "ada@example.com"}}

    done = run_job(build(example), SEED_SIGN_UP, payload)

    assert done["createSandbox"]["output"]["owner"] is None
    assert done["createSandbox"]["output"]["sandboxId"].startswith("sbx_")
    assert done["greetUser"]["output"]["to"] == "ada@example.com"
    assert done["addUserToNewsletter"]["output"]["newsletter"] == "product-updates"


def test_the_seed_s_sign_up_workflow_succeeds_on_a_daemon_with_the_example_worker(
    example: ModuleType,
) -> None:
    payload = {"user": {"firstName": "Ada", "email": "ada@example.com"}}

    with WorkflowEnvironment(SEED_SIGN_UP, workers=[example.build_worker("seed-test")]) as env:
        [trace] = env.push("user:create", payload).traces

    assert trace.run.status == "SUCCEEDED"
    assert trace.output("createSandbox")["owner"] is None
    assert trace.output("greetUser")["to"] == "ada@example.com"


def test_the_slack_workflow_passes_the_channel_id_along(example: ModuleType) -> None:
    done = run_job(
        build(example),
        UPSTREAM / "slack--slack-channel.yaml",
        {"name": "acme"},
        environ={"SLACK_USER_ID": "U123"},
    )

    channel_id = done["createChannel"]["output"]["channelId"]
    assert done["addUserToChannel"]["output"] == {"channelId": channel_id, "userIds": ["U123"]}
    assert done["sendMessageToChannel"]["output"]["channelId"] == channel_id


def test_a_bad_email_fails_the_newsletter_step_with_the_field_named(example: ModuleType) -> None:
    assign = Assign(
        step_run_id="sr-1",
        attempt=1,
        workflow_run_id="run-1",
        action="newsletter:add-user",
        input={"email": "not-an-email"},
    )

    sent = asyncio.run(run_step(build(example), assign))

    (failure,) = [m for m in sent if isinstance(m, Failed)]
    assert failure.error.startswith("invalid input for newsletter:add-user: email: string should")


def test_timeout_timeout_returns_as_soon_as_it_is_cancelled(example: ModuleType) -> None:
    worker = build(example)

    async def main() -> list[WorkerMessage]:
        sent: list[WorkerMessage] = []
        runner = worker._step_runner(sent.append)
        try:
            runner.assign(
                Assign(
                    step_run_id="sr-1",
                    attempt=1,
                    workflow_run_id="run-1",
                    action="timeout:timeout",
                    input=None,
                )
            )
            async with asyncio.timeout(10):
                while not any(isinstance(m, Log) for m in sent):
                    await asyncio.sleep(0.001)
                runner.cancel(Cancel(step_run_id="sr-1", attempt=1, reason=CancelReason.TIMED_OUT))
                while runner.running:
                    await asyncio.sleep(0.001)
            return sent
        finally:
            await runner.aclose()

    sent = asyncio.run(main())

    assert [m.line for m in sent if isinstance(m, Log)] == ["sleeping up to 60s", "cancelled"]
    assert not [m for m in sent if isinstance(m, Completed | Failed)]
