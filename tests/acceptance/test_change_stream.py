"""The change stream against a real hatchetd and worker: a run's whole life arrives as it
happens, filters hold, and SIGTERM ends the stream so the daemon still exits 0."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from acceptance_support import (
    ROOT,
    Daemon,
    Workers,
    copy_workflows,
    push,
    stop,
    wait_until_loaded,
)
from stream_reader import listening, take_until

SIGN_UP = {"user": {"email": "ada@example.com", "firstName": "Ada"}}


@pytest.fixture
def sign_up(daemon: Daemon) -> Daemon:
    """The daemon with the sign-up workflow loaded."""
    shutil.copy(ROOT / ".hatchet/post-user-sign-up.yaml", daemon.folder)
    wait_until_loaded(daemon, "post-user-sign-up")
    return daemon


def test_a_runs_life_arrives_in_order(sign_up: Daemon, workers: Workers) -> None:
    daemon = sign_up
    workers.start(daemon)
    with listening(daemon) as received:
        event = push(daemon, "user:create", SIGN_UP)
        run_id = event["run_ids"][0]
        changes = take_until(
            received, lambda c: c["kind"] == "run" and c["status"] in ("SUCCEEDED", "FAILED")
        )
    assert [c["seq"] for c in changes] == sorted(c["seq"] for c in changes)
    assert changes[0]["kind"] == "event"
    assert changes[0]["id"] == event["id"]
    assert changes[0]["record"]["data"] == SIGN_UP
    assert changes[-1]["status"] == "SUCCEEDED"
    assert changes[-1]["id"] == run_id
    steps = [c for c in changes if c["kind"] == "step_run"]
    # Each of the three steps goes from waiting to done through its worker, in order.
    for step_id in {c["record"]["step_id"] for c in steps}:
        path = [c["status"] for c in steps if c["record"]["step_id"] == step_id]
        assert path == ["PENDING_ASSIGNMENT", "ASSIGNED", "RUNNING", "SUCCEEDED"], path
    assert len({c["record"]["step_id"] for c in steps}) == 3


def test_a_filter_keeps_one_runs_changes(sign_up: Daemon, workers: Workers) -> None:
    daemon = sign_up
    first = push(daemon, "user:create", SIGN_UP)  # before any worker: it waits
    run_id = first["run_ids"][0]
    with listening(daemon, run_id=run_id[:8], kind=["run"]) as received:
        push(daemon, "user:create", SIGN_UP)  # another run: filtered out
        workers.start(daemon)
        changes = take_until(received, lambda c: c["status"] in ("SUCCEEDED", "FAILED"))
    assert {c["id"] for c in changes} == {run_id}
    assert {c["kind"] for c in changes} == {"run"}


def test_a_reload_and_a_worker_are_changes_too(daemon: Daemon, workers: Workers) -> None:
    with listening(daemon, kind=["workflow", "worker"]) as received:
        copy_workflows(daemon.folder, "upstream/simple--sample-workflow.yaml")
        workflow = take_until(received, lambda c: c["kind"] == "workflow")[-1]
        process = workers.start(daemon)
        joined = take_until(received, lambda c: c["kind"] == "worker")[-1]
        stop(process)
        left = take_until(received, lambda c: c["kind"] == "worker")[-1]
    assert workflow["status"] == "ACTIVE"
    assert joined["status"] == "ACTIVE"
    assert left["id"] == joined["id"]
    assert left["status"] != "ACTIVE"


def test_sigterm_ends_the_stream_and_the_daemon_exits_0(folder: Path, daemon: Daemon) -> None:
    wait_until_loaded(daemon)
    with listening(daemon) as received:
        daemon.process.terminate()
        assert received.get(timeout=15) == ("end", {})
    assert daemon.process.wait(timeout=15) == 0
