"""A daemon outage does not fail work that finished in time (issue 10, item 5).

A worker keeps the result of a step it finished while the daemon was down and sends it again
once it reconnects. The step's timeout measures the step, not the outage: deadlines are re-based
when the daemon comes back, so that result is accepted.
"""

from __future__ import annotations

import signal
import time
from pathlib import Path

import pytest
from acceptance_support import free_port, start_daemon, stop, wait_for
from reliability_support import sleep_chain, start_worker, write_workflow


@pytest.mark.long(15)
def test_a_result_finished_during_an_outage_longer_than_the_timeout_is_kept(
    folder: Path, database_url: str | None
) -> None:
    write_workflow(
        folder, "short", sleep_chain("short", "short:go", steps=1, seconds=2, timeout="5s")
    )
    port = free_port()
    daemon = start_daemon(folder, database_url=database_url, port=port)
    worker = start_worker(daemon)
    try:
        response = daemon.post("/api/v1/events", {"key": "short:go"})
        assert response.status_code == 201, response.text
        run_id = response.json()["run_ids"][0]
        worker.read_until("started")

        def running() -> bool:
            steps = daemon.get(f"/api/v1/runs/{run_id}")["jobs"][0]["step_runs"]
            return [s["status"] for s in steps] == ["RUNNING"]

        # The outage begins mid-step, as in the report: once the daemon has stored its start.
        wait_for(running, what="the daemon to record the step as running")
        daemon.process.send_signal(signal.SIGKILL)
        stop(daemon.process)  # reaps it and closes its pipe
        worker.read_until("finished")  # the worker finished while the daemon was down
        time.sleep(8)  # the outage outlasts the step's 5 s timeout
        daemon = start_daemon(folder, database_url=database_url, port=port)
        trace = daemon.wait_for_run(run_id, timeout=40)
        step = trace["jobs"][0]["step_runs"]
        assert trace["run"]["status"] == "SUCCEEDED", step
        assert [s["status"] for s in step] == ["SUCCEEDED"]
        assert step[0]["output"]["slept"] == 2
    finally:
        stop(worker.process)
        stop(daemon.process)
