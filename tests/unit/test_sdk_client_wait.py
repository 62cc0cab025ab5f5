"""`client.runs.wait` as requests: the daemon holds each `GET /runs/{id}/wait` up to the seconds
asked, so a longer wait asks again, a deadline shortens the last ask, and the runs after a
deadline are only read; against the stand-in daemon (`stand_in_daemon.py`), which answers each
request as the test scripts it."""

from __future__ import annotations

from typing import Any

import pytest

from hatchet_cli import Client, HatchetError, RunWaitTimeout
from hatchet_cli._wait import HOLD_SECONDS
from hatchetd.contracts.enums import RunStatus
from tests.unit.stand_in_daemon import Answer, Daemon, Seen

RUN_ID = "7c4e0000-0000-4000-8000-000000000001"
OTHER_ID = "7c4e0000-0000-4000-8000-000000000002"


def trace(status: str, run_id: str = RUN_ID) -> dict[str, Any]:
    run = {
        "id": run_id,
        "workflow_name": "chain",
        "workflow_version_id": "v1",
        "trigger": "EVENT",
        "status": status,
        "created_at": "2024-05-01T12:00:00Z",
    }
    return {"run": run, "jobs": []}


def asked(seen: Seen) -> tuple[str, float]:
    return seen.path, float(seen.query["timeout"][0])


def test_a_wait_longer_than_the_daemon_holds_a_request_asks_again(daemon: Daemon) -> None:
    answers = iter([trace("RUNNING"), trace("RUNNING"), trace("SUCCEEDED")])
    daemon.reply = lambda seen: Answer(json=next(answers))

    with Client(daemon.address) as client:
        done = client.runs.wait(RUN_ID)

    assert done.run.status is RunStatus.SUCCEEDED
    path = f"/api/v1/runs/{RUN_ID}/wait"
    assert [asked(s) for s in daemon.seen] == [(path, HOLD_SECONDS)] * 3


def test_a_deadline_shortens_the_ask_and_its_timeout_carries_the_run_as_it_is(
    daemon: Daemon,
) -> None:
    daemon.reply = lambda seen: Answer(json=trace("RUNNING"))

    with Client(daemon.address) as client, pytest.raises(RunWaitTimeout) as raised:
        client.runs.wait(RUN_ID, timeout=0.3)

    assert [t.run.status for t in raised.value.traces] == [RunStatus.RUNNING]
    held = [asked(s)[1] for s in daemon.seen]
    assert 0 < held[0] <= 0.3  # never more than what is left
    assert all(h <= 0.3 for h in held)


def test_the_runs_after_the_deadline_are_read_not_waited_for(daemon: Daemon) -> None:
    def reply(seen: Seen) -> Answer:
        run_id = seen.path.split("/")[4]
        return Answer(json=trace("RUNNING", run_id))

    daemon.reply = reply

    with Client(daemon.address) as client, pytest.raises(RunWaitTimeout) as raised:
        client.runs.wait_all([RUN_ID, OTHER_ID], timeout=0.0)

    assert [t.run.id for t in raised.value.traces] == [RUN_ID, OTHER_ID]
    assert [asked(s) for s in daemon.seen] == [
        (f"/api/v1/runs/{RUN_ID}/wait", 0.0),
        (f"/api/v1/runs/{OTHER_ID}/wait", 0.0),
    ]


def test_a_daemon_shutting_down_mid_wait_is_its_503(daemon: Daemon) -> None:
    body = {"code": "unavailable", "message": "hatchetd is shutting down"}
    daemon.reply = lambda seen: Answer(json=body, status=503)

    with Client(daemon.address, retry_for=0) as client, pytest.raises(HatchetError) as raised:
        client.runs.wait(RUN_ID)

    assert raised.value.status == 503
    assert len(daemon.seen) == 1  # a wait is not retried: the caller decides


def test_a_negative_timeout_is_refused_before_anything_is_sent(daemon: Daemon) -> None:
    with Client(daemon.address) as client, pytest.raises(ValueError, match="0 or more"):
        client.runs.wait(RUN_ID, timeout=-1)
    assert daemon.seen == []
