"""`client.runs.wait` where the change stream misbehaves: a reader cut off for falling behind
subscribes again, and a stream that ends is the daemon going away; against the stand-in daemon
(`stand_in_daemon.py`), which answers each request as the test scripts it."""

from __future__ import annotations

import json
from typing import Any

import pytest

from hatchet_cli import Client, DaemonUnreachable
from hatchetd.contracts.enums import RunStatus
from tests.unit.stand_in_daemon import Answer, Daemon, Seen

RUN_ID = "7c4e0000-0000-4000-8000-000000000001"


def trace(status: str) -> dict[str, Any]:
    run = {
        "id": RUN_ID,
        "workflow_name": "chain",
        "workflow_version_id": "v1",
        "trigger": "EVENT",
        "status": status,
        "created_at": "2024-05-01T12:00:00Z",
    }
    return {"run": run, "jobs": []}


def stream(*events: tuple[str, dict[str, Any]]) -> Answer:
    """A change stream that sends `events` (name, data) and ends (as a daemon that went away)."""
    text = ": subscribed\n\n" + "".join(
        f"event: {name}\ndata: {json.dumps(data)}\n\n" for name, data in events
    )
    return Answer(body=text.encode(), headers={"Content-Type": "text/event-stream"})


def change(status: str) -> tuple[str, dict[str, Any]]:
    record = trace(status)["run"]
    return "change", {
        "seq": 7,
        "kind": "run",
        "id": RUN_ID,
        "run_id": RUN_ID,
        "status": status,
        "committed_at": "2024-05-01T12:00:01Z",
        "record": record,
    }


def test_a_reader_cut_off_for_falling_behind_reads_again_and_subscribes_again(
    daemon: Daemon,
) -> None:
    subscriptions = iter([stream(("lagged", {})), stream(change("SUCCEEDED"))])
    reads = iter([trace("RUNNING"), trace("RUNNING"), trace("SUCCEEDED")])

    def reply(seen: Seen) -> Answer:
        if seen.path == "/api/v1/changes":
            return next(subscriptions)
        return Answer(json=next(reads))

    daemon.reply = reply

    with Client(daemon.address) as client:
        done = client.runs.wait(RUN_ID, timeout=10)

    assert done.run.status is RunStatus.SUCCEEDED
    assert [(s.path, s.query) for s in daemon.seen] == [
        ("/api/v1/changes", {"kind": ["run"], "run_id": [RUN_ID]}),
        (f"/api/v1/runs/{RUN_ID}", {}),  # subscribed: read the run (still going)
        ("/api/v1/changes", {"kind": ["run"], "run_id": [RUN_ID]}),  # cut off: again
        (f"/api/v1/runs/{RUN_ID}", {}),
        (f"/api/v1/runs/{RUN_ID}", {}),  # the change said final: its trace, outputs and all
    ]


def test_a_stream_that_ends_mid_wait_is_the_daemon_going_away(daemon: Daemon) -> None:
    daemon.reply = lambda seen: (
        stream() if seen.path == "/api/v1/changes" else Answer(json=trace("RUNNING"))
    )

    with Client(daemon.address) as client, pytest.raises(DaemonUnreachable) as raised:
        client.runs.wait(RUN_ID)

    assert raised.value.reason == "the daemon shut down during the wait"


def test_a_negative_timeout_is_refused_before_anything_is_sent(daemon: Daemon) -> None:
    with Client(daemon.address) as client, pytest.raises(ValueError, match="0 or more"):
        client.runs.wait(RUN_ID, timeout=-1)
    assert daemon.seen == []
