"""A workflow without triggers started by hand through the `hatchet` console script, on two real
hatchetd replicas sharing PostgreSQL: the run started on one replica runs on a worker connected
to the other, with its input, and an idempotency key starts it once whichever replica is asked."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from test_cli_process import hatchet
from test_scale_out import cluster_on

pytestmark = pytest.mark.acceptance

BY_HAND = """\
name: by-hand
jobs:
  main:
    steps:
      - id: only
        action: rel:sleep
        with: {seconds: 0, tag: "{{ .tag }}"}
"""


def started(done: Any) -> dict[str, Any]:
    assert done.returncode == 0, done.stderr
    run: dict[str, Any] = json.loads(done.stdout)
    return run


def test_a_run_started_by_hand_on_one_replica_runs_on_a_worker_of_the_other(
    tmp_path: Path, postgres_url: str
) -> None:
    with cluster_on(tmp_path, postgres_url) as cluster:
        cluster.files["by-hand"] = BY_HAND
        a, b = cluster.start(2)
        cluster.worker(a, "only-on-a")
        start = ["workflows", "run", "by-hand", "--input", '{"tag": "nightly"}', "-o", "json"]

        run = started(hatchet(b, *start, "--idempotency-key", "nightly-1"))
        again = started(hatchet(a, *start, "--idempotency-key", "nightly-1"))

        assert (run["trigger"], run["input"]) == ("MANUAL", {"tag": "nightly"})
        assert again["id"] == run["id"]  # as it is now: by then it may have finished
        done = b.wait_for_run(run["id"], timeout=10)
        assert done["run"]["status"] == "SUCCEEDED"
        (step,) = done["jobs"][0]["step_runs"]
        assert step["output"] == {"slept": 0, "tag": "nightly", "worker": "only-on-a"}
        assert [r["id"] for r in a.get("/api/v1/runs")["items"]] == [run["id"]]
