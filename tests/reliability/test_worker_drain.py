"""A worker stopped with SIGTERM mid-chain drains (design §8, issue 10 item 4): it finishes the
step it is running, gets nothing new, and the rest of the chain runs on another worker at once.

Before draining existed, the daemon gave the chain's next step to the stopping worker (it had
the most free slots and registered first); the worker left it unrun, and the step waited a whole
lease (15 s) before it was cancelled `WORKER_LOST` and failed the run, while the other worker sat
idle. docs/guarantees.md ("Workers drain") reports the figures measured here.
"""

from __future__ import annotations

import signal
import time
from datetime import UTC, datetime
from typing import Any

import pytest
from acceptance_support import Daemon, stop, wait_for, wait_until_loaded
from reliability_support import sleep_chain, start_worker, write_workflow

LEASE = 15.0
"""The daemon's default lease (three heartbeats of 5 s): what a stranded step used to wait."""
STEPS = 4
SECONDS = 1.5


def worker_id(daemon: Daemon, name: str) -> str:
    """The id of the ACTIVE worker registered under `name`."""
    (found,) = [
        w["worker"]["id"]
        for w in daemon.get("/api/v1/workers")
        if w["worker"]["name"] == name and w["worker"]["status"] == "ACTIVE"
    ]
    return str(found)


def step_runs(trace: dict[str, Any]) -> list[dict[str, Any]]:
    return [s for job in trace["jobs"] for s in job["step_runs"]]


def s0_worker(daemon: Daemon, run_id: str) -> str | None:
    """The worker s0 is running on, once it runs."""
    trace: dict[str, Any] = daemon.get(f"/api/v1/runs/{run_id}")
    s0 = next((s for s in step_runs(trace) if s["step_id"] == "s0"), None)
    return s0["worker_id"] if s0 is not None and s0["status"] == "RUNNING" else None


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


@pytest.mark.long(7)
def test_a_worker_stopped_mid_chain_hands_the_rest_to_the_other_worker_at_once(
    daemon: Daemon,
) -> None:
    write_workflow(
        daemon.folder, "chain", sleep_chain("chain", "chain:go", steps=STEPS, seconds=SECONDS)
    )
    wait_until_loaded(daemon, "chain")
    # Both workers are registered before the push, so a slow machine cannot let s0 end (and s1
    # go to the only worker there is) while the second one is still starting.
    workers = {name: start_worker(daemon, name=name, slots=1) for name in ("one", "two")}
    try:
        ids = {name: worker_id(daemon, name) for name in workers}
        run_id = daemon.post("/api/v1/events", {"key": "chain:go", "data": {}}).json()["run_ids"][0]
        running_on = wait_for(
            lambda: s0_worker(daemon, run_id), timeout=15, what="s0 to start on a worker"
        )
        (first_name,) = [name for name, found in ids.items() if found == running_on]
        first = workers[first_name]
        first_id, second_id = running_on, next(i for i in ids.values() if i != running_on)

        signalled, signalled_at = time.monotonic(), datetime.now(UTC)
        first.process.send_signal(signal.SIGTERM)
        # The first worker finishes s0, has its result acknowledged and exits by itself.
        wait_for(
            lambda: first.process.poll() is not None,
            timeout=SECONDS + 10,
            what="the first worker to exit after SIGTERM",
        )
        exited_after = time.monotonic() - signalled
        trace = daemon.wait_for_run(run_id, timeout=STEPS * SECONDS + 20)
    finally:
        for worker in workers.values():
            stop(worker.process)

    assert first.process.returncode == 0
    assert trace["run"]["status"] == "SUCCEEDED", trace["run"]
    runs = step_runs(trace)
    # One attempt per step: nothing was cancelled, lost or retried.
    assert [(s["step_id"], s["attempt"], s["status"]) for s in runs] == [
        (f"s{i}", 1, "SUCCEEDED") for i in range(STEPS)
    ]
    assert all(s["cancel_reason"] is None for s in runs)
    by_step = {s["step_id"]: s for s in runs}
    assert by_step["s0"]["worker_id"] == first_id
    assert [by_step[f"s{i}"]["worker_id"] for i in range(1, STEPS)] == [second_id] * (STEPS - 1)
    # The next step started on the other worker right after s0 ended, not a lease later.
    handed_over = (
        at(by_step["s1"]["started_at"]) - at(by_step["s0"]["finished_at"])
    ).total_seconds()
    assert handed_over < LEASE / 5, f"s1 started {handed_over:.3f} s after s0 finished"
    next_started = (at(by_step["s1"]["started_at"]) - signalled_at).total_seconds()
    print(
        f"\nworker drain: first worker exited {exited_after:.2f} s after SIGTERM; s1 started on "
        f"the other worker {next_started:.2f} s after SIGTERM (s0 had up to {SECONDS} s left), "
        f"{handed_over * 1000:.0f} ms after s0 finished"
    )
