"""What waits, and why, as a newcomer meets it: a workflow whose actions no connected worker serves
(`hatchet status`, `workflows list|show`, `runs show`, `runs show --watch`), a step waiting for a
busy worker, a pushed key no workflow listens to (did you mean ...?), and what a push or replay
started.

The daemon is the in-process one of conftest.py; workers are real SDK workers in threads."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

from hatchet_cli.sdk import Context
from tests.cli.conftest import UUID, Hatchet, normalise
from tests.cli.test_cli_runs_follow import Command, wait_until
from tests.live import SIGN_UP_ACTIONS, run_worker, serve_daemon

SIGNUP = '{"user": {"firstName": "Ada", "email": "ada@example.com"}}'
NONE_SERVES = "waiting for a worker with action {} — none connected serves it"

ORDERS = """\
name: order-fulfilment
on: [order:paid]
jobs:
  ship:
    steps:
      - id: ship
        action: warehouse:ship
"""


def push_run(hatchet: Hatchet) -> str:
    result = hatchet("events", "push", "user:create", "--data", SIGNUP, "-o", "json")
    assert result.exit_code == 0, result.stderr
    (run_id,) = json.loads(result.stdout)["run_ids"]
    return str(run_id)


def trace(hatchet: Hatchet, run_id: str) -> dict[str, Any]:
    result = hatchet("runs", "show", run_id, "-o", "json")
    assert result.exit_code == 0, result.stderr
    document: dict[str, Any] = json.loads(result.stdout)
    return document


def status(hatchet: Hatchet) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(hatchet("status", "-o", "json").stdout)
    return document


# -- actions no connected worker serves -----------------------------------------------------------


def test_status_names_the_actions_no_worker_serves_until_one_does(hatchet: Hatchet) -> None:
    assert status(hatchet)["unserved_actions"] == [
        {"action": action, "workflows": ["post-user-sign-up"]} for action in sorted(SIGN_UP_ACTIONS)
    ]
    text = hatchet("status").stdout.splitlines()
    assert text[-3:] == [
        f"unserved:    {action} (post-user-sign-up): no connected worker serves it; its steps "
        "wait for one"
        for action in sorted(SIGN_UP_ACTIONS)
    ]

    with run_worker(hatchet.address, actions=["sandbox:create"]):
        unserved = [a["action"] for a in status(hatchet)["unserved_actions"]]
        assert unserved == ["newsletter:add-user", "postmark:email-from-template"]
        with run_worker(hatchet.address, name="second"):
            assert status(hatchet)["unserved_actions"] == []
            assert "unserved:" not in hatchet("status").stdout


def test_workflows_list_and_show_mark_the_unserved_actions(hatchet: Hatchet) -> None:
    listing = json.loads(hatchet("workflows", "list", "-o", "json").stdout)
    assert listing["workflows"][0]["unserved_actions"] == sorted(SIGN_UP_ACTIONS)
    shown = hatchet("workflows", "show", "post-user-sign-up").stdout
    assert (
        "unserved: newsletter:add-user, postmark:email-from-template, sandbox:create: no "
        "connected worker serves them; the steps that call them wait for one\n"
    ) in shown

    with run_worker(hatchet.address, actions=["sandbox:create", "newsletter:add-user"]):
        table = hatchet("workflows", "list").stdout.splitlines()
        assert table[0].split()[-1] == "UNSERVED"
        assert table[1].split()[-1] == "postmark:email-from-template"
        assert (
            "unserved: postmark:email-from-template: no connected worker serves it; the steps "
            "that call it wait for one\n"
        ) in hatchet("workflows", "show", "post-user-sign-up").stdout
        with run_worker(hatchet.address, actions=["postmark:email-from-template"], name="b"):
            assert hatchet("workflows", "list").stdout.splitlines()[1].split()[-1] == "-"
            assert "unserved:" not in hatchet("workflows", "show", "post-user-sign-up").stdout


# -- a step waiting for a worker ------------------------------------------------------------------


def test_runs_show_says_why_each_step_waits_until_a_worker_takes_it(hatchet: Hatchet) -> None:
    run_id = push_run(hatchet)
    # The steps wait for assignment from the moment the run is created, or nearly.
    wait_until(lambda: len(trace(hatchet, run_id)["waiting"]) == 3, "three waiting steps")
    waiting = trace(hatchet, run_id)["waiting"]
    assert {(w["action"], w["reason"]) for w in waiting} == {
        (action, "NO_WORKER") for action in SIGN_UP_ACTIONS
    }
    assert {w["message"] for w in waiting} == {NONE_SERVES.format(a) for a in SIGN_UP_ACTIONS}
    lines = hatchet("runs", "show", run_id).stdout.splitlines()
    step = next(i for i, line in enumerate(lines) if "step createSandbox" in line)
    # Under its step line, indented as the step's own details are.
    assert lines[step + 1] == "│     " + NONE_SERVES.format("sandbox:create")

    with run_worker(hatchet.address):
        wait_until(lambda: trace(hatchet, run_id)["run"]["status"] == "SUCCEEDED", "the run")
    assert trace(hatchet, run_id)["waiting"] == []
    assert "waiting for a worker" not in hatchet("runs", "show", run_id).stdout


def test_a_step_waiting_for_a_busy_worker_says_its_slots_are_busy(hatchet: Hatchet) -> None:
    release = threading.Event()

    def hold(input: Any, ctx: Context) -> Any:
        release.wait(20)
        return input

    with run_worker(hatchet.address, hold, actions=["sandbox:create"]):
        try:
            runs = [push_run(hatchet) for _ in range(5)]  # the worker has 4 slots

            def busy() -> list[dict[str, Any]]:
                return [
                    w
                    for run_id in runs
                    for w in trace(hatchet, run_id)["waiting"]
                    if w["action"] == "sandbox:create"
                ]

            wait_until(lambda: len(busy()) == 1, "one sandbox step waiting for a slot")
            (wait,) = busy()
            assert wait["reason"] == "WORKERS_BUSY"
            assert wait["message"] == (
                "waiting for a worker with action sandbox:create — the worker serving it has "
                "all 4 slots busy"
            )
        finally:
            release.set()


def test_runs_show_watch_says_why_a_step_waits_then_that_it_ran(hatchet: Hatchet) -> None:
    run_id = push_run(hatchet)
    watch = Command(hatchet.address, "runs", "show", run_id, "--watch")
    try:
        watch.wait_for_line(
            lambda line: NONE_SERVES.format("sandbox:create") in line, "the waiting step's reason"
        )
        with run_worker(hatchet.address):
            code, stdout, stderr = watch.finish()
    finally:
        watch.kill()
    assert code == 0, stderr
    final = stdout.split("\n\n")[-1]  # each new trace is printed after a blank line
    assert "SUCCEEDED" in final.splitlines()[0]
    assert "waiting for a worker" not in final


# -- pushes ---------------------------------------------------------------------------------------


def test_a_mistyped_key_names_the_keys_workflows_listen_to(tmp_path: Path) -> None:
    orders = tmp_path / "orders.yaml"
    orders.write_text(ORDERS)
    (tmp_path / "daemon").mkdir()
    with serve_daemon(tmp_path / "daemon", workflows=[orders]) as address:
        hatchet = Hatchet(address)
        result = hatchet("events", "push", "order:payed")
        document = json.loads(hatchet("events", "push", "order:payed", "-o", "json").stdout)
        unrelated = hatchet("events", "push", "invoice:void")

    assert result.exit_code == 0
    assert result.stderr == (
        "pushed order:payed, triggered 0 runs: no active workflow listens to 'order:payed'; did "
        "you mean 'order:paid' (order-fulfilment)?\n"
    )
    assert document["similar_keys"] == [{"key": "order:paid", "workflows": ["order-fulfilment"]}]
    assert unrelated.stderr == (
        "pushed invoice:void, triggered 0 runs: no active workflow listens to 'invoice:void'\n"
    )


def test_push_and_replay_tables_show_the_run_ids(hatchet: Hatchet) -> None:
    pushed = hatchet("events", "push", "user:create", "--data", SIGNUP)
    assert pushed.exit_code == 0, pushed.stderr
    event_id, run_id = UUID.findall(pushed.stdout.splitlines()[1])
    assert trace(hatchet, run_id)["run"]["event_id"] == event_id

    replayed = hatchet("events", "replay", event_id)
    assert replayed.exit_code == 0, replayed.stderr
    row = normalise(replayed.stdout).splitlines()[1].split()
    assert row == ["<id1>", "user:create", "<time>", "<id2>", "<id3>"]
    new_event, new_run, original = UUID.findall(replayed.stdout.splitlines()[1])
    assert original == event_id
    assert trace(hatchet, new_run)["run"]["event_id"] == new_event
