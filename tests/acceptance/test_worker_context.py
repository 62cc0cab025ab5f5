"""A worker written as a user writes one (tests/acceptance/context_worker.py): `if ctx.cancelled:`
is false while a step runs and true once it is cancelled, and `ctx` names the step, the workflow
and the event, through a real hatchetd and a real worker process."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from acceptance_support import Daemon, Workers, push, steps_of, wait_for, wait_until_loaded

pytestmark = pytest.mark.acceptance

CONTEXT_WORKER = Path(__file__).with_name("context_worker.py")
NAPS = """\
name: naps
triggers:
  events: [nap:start]
jobs:
  first: {steps: [{id: nap-a, action: nap:sleep, with: {seconds: "{{ .input.seconds }}"}}]}
  second: {steps: [{id: nap-b, action: nap:sleep, with: {seconds: "{{ .input.seconds }}"}}]}
  third: {steps: [{id: nap-c, action: nap:sleep, with: {seconds: "{{ .input.seconds }}"}}]}
"""


def start(daemon: Daemon, workers: Workers) -> None:
    (daemon.folder / "naps.yaml").write_text(NAPS)
    wait_until_loaded(daemon, "naps")
    workers.start(daemon, script=CONTEXT_WORKER)


def test_three_parallel_steps_checking_if_ctx_cancelled_sleep_their_second_and_succeed(
    daemon: Daemon, workers: Workers
) -> None:
    start(daemon, workers)

    event = push(daemon, "nap:start", {"seconds": 1})
    (run_id,) = event["run_ids"]
    trace = daemon.wait_for_run(run_id)

    assert trace["run"]["status"] == "SUCCEEDED"
    steps = steps_of(trace)
    assert set(steps) == {"nap-a", "nap-b", "nap-c"}
    for step_id, step in steps.items():
        output: dict[str, Any] = step["output"]
        assert "cancelled" not in output, output
        assert output["slept"] >= 1.0  # not cut short by an always-true `ctx.cancelled`
        assert output["step_id"] == step_id
        assert output["run_and_step"] == f"{run_id}:{step_id}"
        assert output["workflow_name"] == "naps"
        assert output["event"] == {"id": event["id"], "key": "nap:start"}
    # Side by side on the worker's four slots, not one after another.
    starts = sorted(step["started_at"] for step in steps.values())
    ends = sorted(step["finished_at"] for step in steps.values())
    assert starts[-1] < ends[0]


def test_cancelling_the_run_makes_if_ctx_cancelled_true_and_the_action_returns_early(
    daemon: Daemon, workers: Workers
) -> None:
    start(daemon, workers)
    (run_id,) = push(daemon, "nap:start", {"seconds": 60})["run_ids"]

    def all_running() -> bool:
        steps = steps_of(daemon.get(f"/api/v1/runs/{run_id}"))
        return all(step["status"] == "RUNNING" for step in steps.values())

    wait_for(all_running, what="the three naps to start")
    cancelled = daemon.post(f"/api/v1/runs/{run_id}/cancel", {})
    assert cancelled.status_code == 200, cancelled.text

    def logged() -> list[str] | None:
        lines = [line["line"] for line in daemon.get(f"/api/v1/runs/{run_id}/logs")]
        return lines if len(lines) == 3 else None

    lines = wait_for(logged, what="each nap to see ctx.cancelled", timeout=10.0)
    assert all(line.endswith("s; returning early") for line in lines), lines
    assert all(float(line.split()[2].rstrip("s;")) < 30 for line in lines), lines
    trace = daemon.get(f"/api/v1/runs/{run_id}")
    assert trace["run"]["status"] == "CANCELLED"
    assert {step["cancel_reason"] for step in steps_of(trace).values()} == {"USER_CANCELLED"}
