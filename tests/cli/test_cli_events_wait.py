"""`hatchet events push --wait`: the runs the event triggered, followed to the end by real SDK
workers in threads; the exit code says whether they all succeeded."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest

from hatchet_cli.sdk import Context, Worker
from tests.cli.conftest import Hatchet, normalise
from tests.live import run_worker

SIGNUP = '{"user": {"firstName": "Ada", "email": "ada@example.com"}}'


@pytest.fixture
def failing_worker(hatchet: Hatchet) -> Iterator[Worker]:
    """A real SDK worker serving the sign-up workflow's actions, where creating the sandbox
    always raises (and the step has no retries), so every sign-up run fails."""

    def act(input: Any, ctx: Context) -> Any:
        if ctx.action == "sandbox:create":
            raise RuntimeError("the sandbox provider is down")
        return input

    with run_worker(hatchet.address, act, name="failing-worker") as worker:
        yield worker


def test_wait_prints_the_event_then_its_runs_once_they_succeeded(
    hatchet: Hatchet, sign_up_worker: Worker
) -> None:
    result = hatchet("events", "push", "user:create", "--data", SIGNUP, "--wait")

    assert result.exit_code == 0, result.stderr
    lines = [line.split() for line in normalise(result.stdout).splitlines()]
    assert lines[:3] == [
        ["ID", "KEY", "CREATED", "RUNS", "REPLAY", "OF"],
        ["<id1>", "user:create", "<time>", "<id2>", "-"],
        [],
    ]
    assert lines[3] == ["ID", "WORKFLOW", "STATUS", "TRIGGER", "CREATED", "TOOK"]
    event_id = result.stdout.splitlines()[1].split()[0]
    assert lines[4][:5] == ["<id2>", "post-user-sign-up", "SUCCEEDED", "event", event_id[:8]]
    assert len(lines) == 5
    assert result.stderr == "pushed user:create, triggered 1 run\n1 run succeeded\n"


def test_wait_as_json_is_the_event_beside_its_final_runs(
    hatchet: Hatchet, sign_up_worker: Worker
) -> None:
    result = hatchet("events", "push", "user:create", "-d", SIGNUP, "--wait", "-o", "json")

    assert result.exit_code == 0, result.stderr
    document = json.loads(result.stdout)
    assert list(document) == ["event", "runs"]
    assert document["event"]["data"] == json.loads(SIGNUP)
    assert [run["id"] for run in document["runs"]] == document["event"]["run_ids"]
    assert [run["status"] for run in document["runs"]] == ["SUCCEEDED"]
    shown = json.loads(hatchet("events", "show", document["event"]["id"], "-o", "json").stdout)
    assert document["runs"] == shown["runs"]
    assert result.stderr == ""


def test_wait_with_id_output_prints_the_event_id(hatchet: Hatchet, sign_up_worker: Worker) -> None:
    result = hatchet("events", "push", "user:create", "-d", SIGNUP, "--wait", "-o", "id")

    assert result.exit_code == 0
    assert normalise(result.stdout) == "<id1>\n"
    assert result.stderr == ""


def test_wait_exits_1_when_a_run_fails(hatchet: Hatchet, failing_worker: Worker) -> None:
    result = hatchet("events", "push", "user:create", "-d", SIGNUP, "--wait", "-o", "json")

    assert result.exit_code == 1
    document = json.loads(result.stdout)
    [run] = document["runs"]
    assert run["status"] == "FAILED"
    assert result.stderr == (
        f"error: 1 of 1 run did not succeed: {run['id']} post-user-sign-up FAILED\n"
    )


def test_wait_as_a_table_shows_the_failed_run_then_the_error(
    hatchet: Hatchet, failing_worker: Worker
) -> None:
    result = hatchet("events", "push", "user:create", "-d", SIGNUP, "--wait")

    assert result.exit_code == 1
    lines = [line.split() for line in normalise(result.stdout).splitlines()]
    assert lines[4][:3] == ["<id2>", "post-user-sign-up", "FAILED"]
    assert normalise(result.stderr) == (
        "pushed user:create, triggered 1 run\n"
        "error: 1 of 1 run did not succeed: <id1> post-user-sign-up FAILED\n"
    )


def test_wait_gives_up_after_the_timeout_and_exits_1(hatchet: Hatchet) -> None:
    # No worker serves the actions: the run stays RUNNING, its step waiting for one.
    started = time.monotonic()
    result = hatchet("events", "push", "user:create", "-d", SIGNUP, "--wait", "--timeout", "0.3")

    assert time.monotonic() - started < 5
    assert result.exit_code == 1
    lines = [line.split() for line in normalise(result.stdout).splitlines()]
    assert lines[4][:3] == ["<id2>", "post-user-sign-up", "RUNNING"]
    assert normalise(result.stderr) == (
        "pushed user:create, triggered 1 run\n"
        "error: 1 of 1 run not finished after 0.3s: <id1> post-user-sign-up RUNNING; wait "
        "longer with --timeout, or check that a worker serves their actions "
        "(hatchet workers list)\n"
    )


def test_wait_for_an_event_that_triggered_nothing_exits_0(hatchet: Hatchet) -> None:
    table = hatchet("events", "push", "order:paid", "--wait")
    as_json = hatchet("events", "push", "order:paid", "--wait", "-o", "json")

    assert table.exit_code == 0
    assert table.stderr == (
        "pushed order:paid, triggered 0 runs: no active workflow listens to 'order:paid'\n"
        "nothing to wait for: the event triggered no runs\n"
    )
    assert as_json.exit_code == 0
    assert json.loads(as_json.stdout)["runs"] == []
    assert as_json.stderr == "nothing to wait for: the event triggered no runs\n"


def test_timeout_without_wait_is_a_usage_error(hatchet: Hatchet) -> None:
    result = hatchet("events", "push", "order:paid", "--timeout", "5")

    assert result.exit_code == 2
    assert result.stderr == "error: --timeout goes with --wait\n"
    assert hatchet("events", "list", "-o", "id").stdout == ""
