"""`AsyncClient` sends and retries as `Client` does (tests/unit/test_sdk_client_retries.py):
pushes and starts carry an idempotency key and are sent again with it after a 503, a reset or a
stall, within `retry_for`; anything else is sent once. Against the stand-in daemon."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import pytest

from hatchet_cli import AsyncClient, DaemonNotAnswering, DaemonUnreachable, HatchetError
from tests.unit.stand_in_daemon import Answer, Daemon
from tests.unit.test_sdk_client_retries import BUSY, EVENT, SLACK, answers, keys

T = TypeVar("T")
RUN = {
    "id": "7c4e0000-0000-4000-8000-000000000001",
    "workflow_name": "nightly",
    "workflow_version_id": "v1",
    "trigger": "MANUAL",
    "status": "RUNNING",
    "created_at": "2024-05-01T12:00:00Z",
}


def run(daemon: Daemon, call: Callable[[AsyncClient], Awaitable[T]], **options: Any) -> T:
    async def main() -> T:
        async with AsyncClient(daemon.address, **options) as client:
            return await call(client)

    return asyncio.run(main())


def test_a_503_and_a_reset_are_retried_with_the_same_key(daemon: Daemon) -> None:
    daemon.reply = answers(Answer(503, json=BUSY), Answer(reset=True), Answer(201, json=EVENT))

    event = run(daemon, lambda c: c.events.push("user:create", {"username": "ada"}))

    assert event.id == EVENT["id"]
    assert len(daemon.seen) == 3
    (key,) = set(keys(daemon))
    assert len(key) == 36


def test_a_stalled_start_is_reported_with_its_key_once_the_bound_has_passed(
    daemon: Daemon,
) -> None:
    daemon.reply = lambda seen: Answer(201, json=RUN, delay=10)

    started = time.monotonic()
    with pytest.raises(DaemonNotAnswering) as caught:
        run(daemon, lambda c: c.workflows.run("nightly", {}), timeout=0.3, retry_for=1.0)

    assert time.monotonic() - started < 1.0 + SLACK
    (key,) = set(keys(daemon))
    assert caught.value.idempotency_key == key
    assert "start it again with idempotency key" in str(caught.value)


def test_other_errors_and_reads_are_sent_once(daemon: Daemon) -> None:
    refused = {"error": {"code": "conflict", "message": "used with other data"}}
    daemon.reply = answers(Answer(409, json=refused))

    with pytest.raises(HatchetError) as caught:
        run(daemon, lambda c: c.events.push("user:create", idempotency_key="k"))
    daemon.reply = answers(Answer(503, json=BUSY))
    with pytest.raises(HatchetError):
        run(daemon, lambda c: c.runs.get("7c4e"))

    assert (caught.value.status, caught.value.code) == (409, "conflict")
    assert len(daemon.seen) == 2


def test_a_refused_first_connection_is_unreachable_at_once() -> None:
    async def main() -> None:
        async with AsyncClient("http://127.0.0.1:1", retry_for=30) as client:
            await client.events.push("user:create")

    started = time.monotonic()
    with pytest.raises(DaemonUnreachable):
        asyncio.run(main())
    assert time.monotonic() - started < 5
