"""A run rerun from its failed step through the `hatchet` console script, on two real hatchetd
replicas sharing PostgreSQL: the run, cancelled on one replica while its second step ran, is
rerun on the other; the rerun keeps the first step's output, and the worker (connected to the
first replica) starts only the second step again."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from acceptance_support import Daemon, wait_for
from test_cli_process import hatchet
from test_scale_out import cluster_on, started_lines

pytestmark = pytest.mark.acceptance

TWO_STEPS = """\
name: two-steps
jobs:
  main:
    steps:
      - id: first
        action: rel:sleep
        with: {seconds: 0, tag: "{{ .tag }}"}
      - id: second
        action: rel:sleep
        with: {seconds: 60, tag: "{{ .steps.first.tag }}"}
"""


def document(done: Any) -> dict[str, Any]:
    assert done.returncode == 0, done.stderr
    parsed: dict[str, Any] = json.loads(done.stdout)
    return parsed


def second_step_running(replica: Daemon, run_id: str) -> dict[str, Any] | None:
    trace: dict[str, Any] = replica.get(f"/api/v1/runs/{run_id}")
    (job,) = trace["jobs"]
    latest = {s["step_id"]: s for s in job["step_runs"]}
    return latest["second"] if latest["second"]["status"] == "RUNNING" else None


def test_a_rerun_on_one_replica_starts_at_the_failed_step_on_the_other_replicas_worker(
    tmp_path: Path, postgres_url: str
) -> None:
    with cluster_on(tmp_path, postgres_url) as cluster:
        cluster.files["two-steps"] = TWO_STEPS
        a, b = cluster.start(2)
        worker = cluster.worker(a, "only-on-a")
        start = ["workflows", "run", "two-steps", "--input", '{"tag": "t1"}', "-o", "json"]
        original = document(hatchet(b, *start))["id"]
        wait_for(lambda: second_step_running(a, original), what="the second step running")
        cancelled = document(hatchet(a, "runs", "cancel", original, "-o", "json"))
        assert cancelled["run"]["status"] == "CANCELLED"

        rerun = document(hatchet(b, "runs", "rerun", original, "--from-failed", "-o", "json"))
        running = wait_for(
            lambda: second_step_running(a, rerun["id"]), what="the second step running again"
        )

        assert rerun["rerun_of_id"] == original
        assert running["input"] == {"seconds": 60, "tag": "t1"}
        trace = a.get(f"/api/v1/runs/{rerun['id']}")
        first = trace["jobs"][0]["step_runs"][0]
        assert (first["status"], first["worker_id"]) == ("SUCCEEDED", None)
        assert first["output"] == {"slept": 0.0, "tag": "t1", "worker": "only-on-a"}
        assert a.get(f"/api/v1/runs/{original}")["rerun_ids"] == [rerun["id"]]
        shown = hatchet(a, "runs", "show", original)
        assert f"rerun as {rerun['id']}" in shown.stdout
        document(hatchet(b, "runs", "cancel", rerun["id"], "-o", "json"))
        a.wait_for_run(rerun["id"])
        worker.process.terminate()  # its stdout is read whole once it has exited
        worker.process.wait(15)
        # first, second, second again: the first step was not started a second time.
        assert len(started_lines(worker)) == 3
