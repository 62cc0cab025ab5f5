"""hatchetd killed with -9 mid-run and started again: nothing acknowledged is lost, nothing is
left running (design §6, §8)."""

from __future__ import annotations

import signal
import textwrap
from pathlib import Path

import pytest
from acceptance_support import (
    Workers,
    free_port,
    push,
    start_daemon,
    steps_of,
    stop,
    wait_for,
    wait_until_loaded,
)

pytestmark = pytest.mark.acceptance

WORKFLOW = textwrap.dedent(
    """\
    name: steady
    on: [steady:go]
    jobs:
      main:
        steps:
          - id: work
            action: timeout:timeout
            retries: 2
            with: {seconds: 1}
          - id: after
            action: echo:echo
            with: {message: "after {{ .steps.work.seconds }}s"}
    """
)


def test_a_daemon_killed_mid_run_finishes_the_run_after_a_restart(
    folder: Path, database_url: str | None, workers: Workers
) -> None:
    (folder / "steady.yaml").write_text(WORKFLOW)
    port = free_port()  # the worker reconnects to the same address
    env = {"HATCHET_HEARTBEAT_INTERVAL": "0.5"}
    first = start_daemon(folder, database_url=database_url, port=port, **env)
    wait_until_loaded(first, "steady")
    workers.start(first)
    acknowledged = [push(first, "steady:go", {"n": n}) for n in range(5)]
    run_ids = [e["run_ids"][0] for e in acknowledged]
    wait_for(
        lambda: any(
            steps_of(first.get(f"/api/v1/runs/{r}"))["work"]["status"] == "RUNNING" for r in run_ids
        ),
        what="a step to be running",
    )

    first.process.send_signal(signal.SIGKILL)
    first.process.wait()
    if first.process.stdout is not None:
        first.process.stdout.close()
    second = start_daemon(folder, database_url=database_url, port=port, **env)
    try:
        for event in acknowledged:
            shown = second.get(f"/api/v1/events/{event['id']}")
            assert shown["event"]["data"] == event["data"]
            assert [r["id"] for r in shown["runs"]] == event["run_ids"]
        for run_id in run_ids:
            trace = second.wait_for_run(run_id, timeout=30)
            assert trace["run"]["status"] == "SUCCEEDED", trace
            assert steps_of(trace)["after"]["input"] == {"message": "after 1.0s"}
            statuses = {s["status"] for j in trace["jobs"] for s in j["step_runs"]}
            assert statuses <= {"SUCCEEDED", "CANCELLED"}
    finally:
        assert stop(second.process) == 0
