"""Pushes are retried with the same idempotency key, within a bound (issue 10 item 3).

The daemon is played by a real HTTP server on a free local port (`stand_in_daemon.py`) that
answers 503, resets the connection or stalls, as the test sets; the bound is timed with the
monotonic clock. What a real daemon makes of the repeated copies: tests/reliability/
test_push_retries.py.
"""

from __future__ import annotations

import itertools
import random
import socket
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import pytest

from hatchet_cli import Client, DaemonNotAnswering, DaemonUnreachable, HatchetError
from hatchet_cli._retry import BASE_DELAY, MAX_DELAY, Retrying, retry_after_seconds
from hatchetd.contracts.api import PushedEvent
from tests.unit.stand_in_daemon import Answer, Daemon, Seen

EVENT: dict[str, object] = {
    "id": "3f0c5e0e-0000-4000-8000-000000000001",
    "key": "user:create",
    "data": {"username": "ada"},
    "created_at": "2024-05-01T12:00:00Z",
    "replayed_from_id": None,
    "idempotency_key": "k",
    "run_ids": [],
    "replay_ids": [],
}
BUSY = {"error": {"code": "database_locked", "message": "the database is locked"}}
SLACK = 0.5
"""What a bound may be overrun by on a loaded machine: the last attempt's own overhead."""


def keys(daemon: Daemon) -> list[str]:
    return [seen.json()["idempotency_key"] for seen in daemon.seen]


def answers(*sequence: Answer) -> Callable[[Seen], Answer]:
    """A reply function answering each request with the next of `sequence` (the last repeats)."""
    count = itertools.count()

    def reply(seen: Seen) -> Answer:
        return sequence[min(next(count), len(sequence) - 1)]

    return reply


def test_a_503_is_retried_with_the_same_generated_key_until_the_push_is_stored(
    daemon: Daemon,
) -> None:
    daemon.reply = answers(Answer(503, json=BUSY), Answer(503, json=BUSY), Answer(201, json=EVENT))

    with Client(daemon.address) as client:
        event = client.events.push("user:create", {"username": "ada"})

    assert event == PushedEvent.model_validate(EVENT)
    assert len(daemon.seen) == 3
    (key,) = set(keys(daemon))  # the same key on every attempt
    assert len(key) == 36
    assert all(seen.json()["data"] == {"username": "ada"} for seen in daemon.seen)


def test_a_key_the_caller_gives_is_the_one_sent_on_every_attempt(daemon: Daemon) -> None:
    daemon.reply = answers(Answer(503, json=BUSY), Answer(200, json=EVENT))

    with Client(daemon.address) as client:
        client.events.push("user:create", {}, idempotency_key="signup-ada")

    assert keys(daemon) == ["signup-ada", "signup-ada"]


def test_retry_after_is_honoured(daemon: Daemon) -> None:
    daemon.reply = answers(
        Answer(503, json=BUSY, headers={"Retry-After": "1"}), Answer(201, json=EVENT)
    )

    with Client(daemon.address) as client:
        client.events.push("user:create")

    first, second = daemon.seen
    assert 1.0 <= second.at - first.at < 1.25 + SLACK  # stretched by at most a quarter
    assert keys(daemon)[0] == keys(daemon)[1]


def test_a_reset_connection_is_retried_with_the_same_key(daemon: Daemon) -> None:
    daemon.reply = answers(Answer(reset=True), Answer(silent=True), Answer(201, json=EVENT))

    with Client(daemon.address) as client:
        assert client.events.push("user:create").id == EVENT["id"]

    assert len(daemon.seen) == 3
    assert len(set(keys(daemon))) == 1
    assert [seen.connection for seen in daemon.seen] == [1, 2, 3]  # each on a fresh connection


def test_a_daemon_that_stalls_is_retried_until_the_bound_then_reported_with_the_key(
    daemon: Daemon,
) -> None:
    daemon.reply = lambda seen: Answer(201, json=EVENT, delay=10)

    started = time.monotonic()
    with (
        Client(daemon.address, timeout=0.4, retry_for=1.5) as client,
        pytest.raises(DaemonNotAnswering) as caught,
    ):
        client.events.push("user:create", {"username": "ada"})
    took = time.monotonic() - started

    assert 1.5 - BASE_DELAY <= took < 1.5 + SLACK
    assert len(daemon.seen) >= 3  # 0.4 s each, and short waits between them
    (key,) = set(keys(daemon))
    assert caught.value.idempotency_key == key
    assert caught.value.seconds == 1.5
    assert str(caught.value) == (
        f"the hatchet daemon at {daemon.address} did not answer within 1.5 s (timed out); the "
        f"event may have been stored: push it again with idempotency key {key} to store it once"
    )


def test_an_attempt_never_waits_past_the_bound(daemon: Daemon) -> None:
    daemon.reply = lambda seen: Answer(201, json=EVENT, delay=10)

    started = time.monotonic()
    with (
        Client(daemon.address, timeout=10, retry_for=0.8) as client,
        pytest.raises(DaemonNotAnswering),
    ):
        client.events.push("user:create")

    assert time.monotonic() - started < 0.8 + SLACK
    assert len(daemon.seen) == 1  # its timeout was cut to the bound


def test_503_until_the_bound_raises_the_daemons_error(daemon: Daemon) -> None:
    daemon.reply = lambda seen: Answer(503, json=BUSY)

    started = time.monotonic()
    with Client(daemon.address, retry_for=1.0) as client, pytest.raises(HatchetError) as caught:
        client.events.push("user:create")

    assert time.monotonic() - started < 1.0 + SLACK
    assert (caught.value.status, caught.value.code) == (503, "database_locked")
    assert len(daemon.seen) >= 3
    assert len(set(keys(daemon))) == 1


@pytest.mark.parametrize(
    ("status", "code"),
    [(409, "conflict"), (413, "payload_too_large"), (422, "invalid"), (507, "storage_full")],
)
def test_4xx_and_507_are_not_retried(daemon: Daemon, status: int, code: str) -> None:
    daemon.reply = lambda seen: Answer(status, json={"error": {"code": code, "message": "no"}})

    with Client(daemon.address) as client, pytest.raises(HatchetError) as caught:
        client.events.push("user:create")

    assert (caught.value.status, len(daemon.seen)) == (status, 1)


def test_retry_for_zero_sends_a_push_once(daemon: Daemon) -> None:
    daemon.reply = lambda seen: Answer(503, json=BUSY)

    with Client(daemon.address, retry_for=0) as client, pytest.raises(HatchetError):
        client.events.push("user:create")

    assert len(daemon.seen) == 1


def test_reads_are_not_retried(daemon: Daemon) -> None:
    daemon.reply = lambda seen: Answer(503, json=BUSY)

    with Client(daemon.address) as client, pytest.raises(HatchetError):
        client.events.get("e1")

    assert len(daemon.seen) == 1


def test_a_refused_first_attempt_is_unreachable_at_once() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    address = f"http://127.0.0.1:{port}"

    started = time.monotonic()
    with Client(address, retry_for=30) as client, pytest.raises(DaemonUnreachable) as caught:
        client.events.push("user:create")

    assert time.monotonic() - started < 1.0  # not retried for 30 s
    assert not isinstance(caught.value, DaemonNotAnswering)
    assert str(caught.value).startswith(f"cannot reach the hatchet daemon at {address} (")
    assert "Connection refused" in caught.value.reason


@pytest.fixture
def vanishing() -> Iterator[tuple[str, list[bytes]]]:
    """A daemon that reads one request, hangs up without answering and stops listening: its
    address and the requests it read."""
    listener = socket.create_server(("127.0.0.1", 0))
    address = f"http://127.0.0.1:{listener.getsockname()[1]}"
    read: list[bytes] = []

    def serve() -> None:
        connection, _ = listener.accept()
        with connection:
            read.append(connection.recv(65536))
        listener.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield address, read
    thread.join(5)
    listener.close()


def test_once_a_push_got_through_refused_connections_are_retried_to_the_bound(
    vanishing: tuple[str, list[bytes]],
) -> None:
    address, read = vanishing

    with Client(address, retry_for=1.0) as client, pytest.raises(DaemonNotAnswering) as caught:
        client.events.push("user:create")

    assert len(read) == 1  # it got through once; the daemon then went away
    assert "Connection refused" in caught.value.reason
    assert str(caught.value).startswith(
        f"the hatchet daemon at {address} did not answer within 1 s (" + "[Errno 111]"
    )


# -- the policy ----------------------------------------------------------------------------------


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_delays_double_from_the_base_up_to_the_cap_with_jitter() -> None:
    clock = FakeClock()
    retrying = Retrying(1000, rng=random.Random(5), clock=clock)
    expected = random.Random(5)

    delays = [retrying.next_delay() for _ in range(7)]

    nominal = [min(MAX_DELAY, BASE_DELAY * 2**n) for n in range(7)]
    assert delays == [n * expected.uniform(0.5, 1.0) for n in nominal]


def test_no_delay_that_would_reach_the_bound_and_attempts_are_cut_to_it() -> None:
    clock = FakeClock()
    retrying = Retrying(3.0, rng=random.Random(1), clock=clock)

    assert retrying.attempt_timeout(10) == 3.0
    clock.now += 2.9
    assert retrying.attempt_timeout(10) == pytest.approx(0.1)
    assert retrying.next_delay() is None  # 0.1 s left: not worth another attempt
    assert retrying.next_delay(retry_after=60) is None


def test_retry_after_reads_seconds_and_http_dates() -> None:
    now = datetime(2026, 5, 1, 12, 0, 0, tzinfo=UTC)

    assert retry_after_seconds("3") == 3.0
    assert retry_after_seconds(" 1.5 ") == 1.5
    assert retry_after_seconds("Fri, 01 May 2026 12:00:05 GMT", now=now) == 5.0
    assert retry_after_seconds("Fri, 01 May 2026 11:00:00 GMT", now=now) == 0.0
    assert retry_after_seconds("soon") is None
    assert retry_after_seconds(None) is None


def test_a_negative_bound_is_refused() -> None:
    with pytest.raises(ValueError, match="retry_for must be 0 or more seconds, not -1"):
        Client("http://127.0.0.1:1", retry_for=-1)
