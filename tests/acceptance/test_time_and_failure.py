"""Timeouts, retries and lost workers with real processes (design §5, §8).

Heartbeats are every 0.5 s here, so a worker is lost after 1.5 s of silence; every timeout is
configured short, and every wait is on a condition with a deadline.
"""

from __future__ import annotations

import signal
import subprocess
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from acceptance_support import (
    Daemon,
    Workers,
    attempts_of,
    push,
    start_daemon,
    steps_of,
    stop,
    wait_for,
    wait_until_loaded,
)

pytestmark = pytest.mark.acceptance


@pytest.fixture
def fast(folder: Path, database_url: str | None) -> Iterator[Daemon]:
    """A daemon that notices a silent worker within 1.5 s."""
    daemon = start_daemon(folder, database_url=database_url, HATCHET_HEARTBEAT_INTERVAL="0.5")
    yield daemon
    assert stop(daemon.process) == 0


def write_workflow(folder: Path, name: str, body: str) -> None:
    (folder / f"{name}.yaml").write_text(f"name: {name}\non: [{name}:go]\n" + textwrap.dedent(body))


def run_of(daemon: Daemon, name: str, data: dict[str, Any] | None = None) -> str:
    wait_until_loaded(daemon, name)
    run_id: str = push(daemon, f"{name}:go", data or {})["run_ids"][0]
    return run_id


def worker_running(daemon: Daemon, run_id: str, step_id: str) -> str:
    """Wait until the step's latest attempt is RUNNING; return its worker id."""

    def running() -> str | None:
        step = steps_of(daemon.get(f"/api/v1/runs/{run_id}"))[step_id]
        return str(step["worker_id"]) if step["status"] == "RUNNING" else None

    return wait_for(running, what=f"step {step_id} to run")


def names_by_id(daemon: Daemon) -> dict[str, str]:
    return {w["worker"]["id"]: w["worker"]["name"] for w in daemon.get("/api/v1/workers")}


def test_a_step_that_sleeps_past_its_timeout_is_cancelled_and_the_next_never_runs(
    fast: Daemon, workers: Workers
) -> None:
    write_workflow(
        fast.folder,
        "slow",
        """\
        jobs:
          main:
            steps:
              - id: sleepy
                action: timeout:timeout
                timeout: 1s
                with: {seconds: 30}
              - id: later
                action: echo:echo
                with: {message: never}
        """,
    )
    workers.start(fast)
    run_id = run_of(fast, "slow")
    trace = fast.wait_for_run(run_id)

    steps = steps_of(trace)
    assert trace["run"]["status"] == "FAILED"
    assert (steps["sleepy"]["status"], steps["sleepy"]["cancel_reason"]) == (
        "CANCELLED",
        "TIMED_OUT",
    )
    assert (steps["later"]["status"], steps["later"]["cancel_reason"]) == (
        "CANCELLED",
        "PREVIOUS_STEP_FAILED",
    )
    assert steps["later"]["started_at"] is None

    def worker_saw_the_cancel() -> bool:
        lines = [line["line"] for line in fast.get(f"/api/v1/runs/{run_id}/logs")]
        return lines == ["sleeping up to 30s", "cancelled"]

    wait_for(worker_saw_the_cancel, what="the worker to log its cancellation")


def test_a_job_timeout_shorter_than_the_steps_wins(fast: Daemon, workers: Workers) -> None:
    write_workflow(
        fast.folder,
        "capped",
        """\
        jobs:
          main:
            timeout: 1s
            steps:
              - id: sleepy
                action: timeout:timeout
                timeout: 10s
                with: {seconds: 30}
        """,
    )
    workers.start(fast)
    trace = fast.wait_for_run(run_of(fast, "capped"))

    step = steps_of(trace)["sleepy"]
    assert trace["run"]["status"] == "FAILED"
    assert (step["status"], step["cancel_reason"]) == ("CANCELLED", "JOB_TIMED_OUT")
    assert trace["jobs"][0]["job_run"]["status"] == "FAILED"


def test_a_step_no_worker_takes_in_time_is_cancelled(fast: Daemon) -> None:
    write_workflow(
        fast.folder,
        "orphan",
        """\
        jobs:
          main:
            steps:
              - id: nobody
                action: nobody:home
                schedule_timeout: 1s
        """,
    )
    run_id = run_of(fast, "orphan")
    assert steps_of(fast.get(f"/api/v1/runs/{run_id}"))["nobody"]["status"] == (
        "PENDING_ASSIGNMENT"
    )
    trace = fast.wait_for_run(run_id)

    step = steps_of(trace)["nobody"]
    assert (step["status"], step["cancel_reason"]) == ("CANCELLED", "SCHEDULING_TIMED_OUT")
    assert step["assigned_at"] is None


def test_a_failing_step_is_retried_and_each_attempt_is_in_the_trace(
    fast: Daemon, workers: Workers
) -> None:
    write_workflow(
        fast.folder,
        "flaky",
        """\
        jobs:
          main:
            steps:
              - id: once
                action: timeout:timeout
                timeout: 1s
                retries: 1
                with: {seconds: 30}
        """,
    )
    workers.start(fast)
    trace = fast.wait_for_run(run_of(fast, "flaky"), timeout=20)

    attempts = attempts_of(trace, "once")
    assert [(a["attempt"], a["status"], a["cancel_reason"]) for a in attempts] == [
        (1, "CANCELLED", "TIMED_OUT"),
        (2, "CANCELLED", "TIMED_OUT"),
    ]
    assert attempts[1]["created_at"] >= attempts[0]["finished_at"]
    assert trace["run"]["status"] == "FAILED"


def test_a_worker_killed_mid_step_hands_the_step_to_another_worker(
    fast: Daemon, workers: Workers
) -> None:
    write_workflow(
        fast.folder,
        "survivor",
        """\
        jobs:
          main:
            steps:
              - id: work
                action: timeout:timeout
                retries: 1
                with: {seconds: 1}
        """,
    )
    processes = {"w1": workers.start(fast, name="w1"), "w2": workers.start(fast, name="w2")}
    run_id = run_of(fast, "survivor")
    first = names_by_id(fast)[worker_running(fast, run_id, "work")]

    processes[first].kill()  # kill -9: no goodbye, no result
    processes[first].wait()
    trace = fast.wait_for_run(run_id, timeout=20)

    attempts = attempts_of(trace, "work")
    assert trace["run"]["status"] == "SUCCEEDED"
    assert [(a["attempt"], a["status"]) for a in attempts] == [(1, "CANCELLED"), (2, "SUCCEEDED")]
    assert attempts[0]["cancel_reason"] == "WORKER_LOST"
    other = "w2" if first == "w1" else "w1"
    assert names_by_id(fast)[attempts[1]["worker_id"]] == other
    assert attempts[1]["output"] == {"slept": True, "seconds": 1}


def test_a_paused_worker_is_lost_and_its_late_result_is_rejected(
    fast: Daemon, workers: Workers
) -> None:
    write_workflow(
        fast.folder,
        "paused",
        """\
        jobs:
          main:
            steps:
              - id: work
                action: timeout:timeout
                retries: 1
                with: {seconds: 1}
        """,
    )
    processes = {"w1": workers.start(fast, name="w1"), "w2": workers.start(fast, name="w2")}
    run_id = run_of(fast, "paused")
    first_id = worker_running(fast, run_id, "work")
    paused: subprocess.Popen[str] = processes[names_by_id(fast)[first_id]]

    paused.send_signal(signal.SIGSTOP)
    try:
        trace = fast.wait_for_run(run_id, timeout=20)
    finally:
        paused.send_signal(signal.SIGCONT)

    def late_result_logged() -> list[str]:
        lines = [line["line"] for line in fast.get(f"/api/v1/runs/{run_id}/logs")]
        return [line for line in lines if line.startswith("late result")]

    (rejection,) = wait_for(late_result_logged, what="the paused worker's late result")
    assert "attempt 1 was superseded by attempt 2" in rejection
    final = fast.get(f"/api/v1/runs/{run_id}")
    attempts = attempts_of(final, "work")
    assert [(a["attempt"], a["status"]) for a in attempts] == [(1, "CANCELLED"), (2, "SUCCEEDED")]
    assert attempts[0]["output"] is None  # exactly one result kept
    assert final["run"] == trace["run"]  # the late result changed nothing
