"""`runs show --watch` rereads a run when the change stream says it changed, not on a timer."""

from __future__ import annotations

import json
import threading
import time

from acceptance_support import wait_for

from hatchet_cli.cli.runs_watch import trace_changes
from hatchet_cli.client import Client
from tests.cli.conftest import Hatchet
from tests.live import run_worker


def test_the_stream_wakes_the_watch_long_before_its_fallback_timer(hatchet: Hatchet) -> None:
    pushed = hatchet("events", "push", "user:create", "-d", '{"user": {"email": "a@b.c"}}')
    run_id = json.loads(hatchet("runs", "list", "-o", "json").stdout)["items"][0]["id"]
    assert pushed.exit_code == 0
    statuses: list[str] = []
    started = time.monotonic()

    def start_a_worker_soon() -> None:
        # Once the watch has read the run (still waiting for a worker), the worker's changes
        # can only reach it through the stream.
        wait_for(lambda: statuses, what="the watch's first read of the run")
        with run_worker(hatchet.address):
            deadline = time.monotonic() + 10
            while not statuses or statuses[-1] not in ("SUCCEEDED", "FAILED"):
                assert time.monotonic() < deadline
                time.sleep(0.05)

    helper = threading.Thread(target=start_a_worker_soon, daemon=True)
    helper.start()
    with Client(hatchet.address) as client:
        # A 60 s fallback: only the stream can make this finish within the test's seconds.
        for trace in trace_changes(client, run_id, interval=60):
            statuses.append(trace.run.status.value)
    helper.join(15)
    assert statuses[-1] in ("SUCCEEDED", "FAILED")
    assert time.monotonic() - started < 15
    assert len(statuses) >= 2  # it saw the run change, not only its end
