"""The worker's life around its steps (design §8): where it connects, how it waits to reconnect,
and how it stops — from a task, from another thread, and on SIGTERM.

No daemon runs here: the worker is pointed at a port nobody listens on, which is also what a user
sees before starting `hatchetd`.
"""

from __future__ import annotations

import asyncio
import logging
import os
import queue
import random
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO

import pytest

from hatchet_cli.sdk import Worker
from hatchet_cli.sdk._connection import Backoff, Outgoing, describe_failure, socket_url
from hatchetd.contracts.worker_protocol import Completed, Draining, Log, Started

ROOT = Path(__file__).resolve().parents[2]
DEADLINE = 10.0


def closed_port_address() -> str:
    """The address of a local port that nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def wait_for(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + DEADLINE
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.01)


def echo_worker(address: str) -> Worker:
    worker = Worker("test-worker", address=address, reconnect_delay=0.01)
    worker.register_action("echo:echo", lambda input, ctx: input)
    return worker


# -- addresses -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("address", "url"),
    [
        ("http://127.0.0.1:7070", "ws://127.0.0.1:7070/api/v1/workers/connect"),
        ("https://hatchet.example.com", "wss://hatchet.example.com/api/v1/workers/connect"),
        ("http://proxy.local/hatchet", "ws://proxy.local/hatchet/api/v1/workers/connect"),
        ("ws://127.0.0.1:7070", "ws://127.0.0.1:7070/api/v1/workers/connect"),
    ],
)
def test_the_socket_lives_under_the_daemons_address(address: str, url: str) -> None:
    assert socket_url(address) == url


def test_an_address_without_a_scheme_is_http() -> None:
    assert Worker("w", address="localhost:7070/").address == "http://localhost:7070"


# -- reconnect backoff -----------------------------------------------------------------------------


def test_reconnect_delays_double_from_the_base_up_to_the_cap_with_jitter() -> None:
    backoff = Backoff(0.5, 10.0, rng=random.Random(42))
    expected_rng = random.Random(42)
    nominal = [0.5, 1.0, 2.0, 4.0, 8.0, 10.0, 10.0, 10.0]

    delays = [backoff.next() for _ in nominal]

    assert delays == [n * expected_rng.uniform(0.5, 1.0) for n in nominal]
    assert all(n / 2 <= d <= n for n, d in zip(nominal, delays, strict=True))


def test_a_successful_registration_starts_the_delays_again() -> None:
    backoff = Backoff(0.5, 10.0, rng=random.Random(1))
    for _ in range(10):
        backoff.next()

    backoff.reset()

    assert 0.25 <= backoff.next() <= 0.5


def test_the_same_seed_gives_the_same_delays() -> None:
    first, second = (Backoff(rng=random.Random(7)) for _ in range(2))
    assert [first.next() for _ in range(6)] == [second.next() for _ in range(6)]


def test_delays_stay_at_the_cap_however_long_the_outage() -> None:
    backoff = Backoff(0.5, 10.0, rng=random.Random(3))
    for _ in range(5):
        backoff.next()

    assert all(5.0 <= backoff.next() <= 10.0 for _ in range(2000))


# -- the outgoing queue ----------------------------------------------------------------------------


def test_while_disconnected_the_oldest_log_lines_give_way_but_results_never_do(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def main() -> list[object]:
        outgoing = Outgoing(limit=3)
        result = Completed(step_run_id="sr-0", attempt=1, output=None)
        outgoing.put(result)
        for number in range(5):
            outgoing.put(Log(step_run_id="sr-1", attempt=1, line=str(number)))
        outgoing.reconnected([result])
        return list(outgoing)

    with caplog.at_level(logging.WARNING, logger="hatchet_cli.worker"):
        kept = asyncio.run(main())

    assert kept == [
        Log(step_run_id="sr-1", attempt=1, line="3"),
        Log(step_run_id="sr-1", attempt=1, line="4"),
        Completed(step_run_id="sr-0", attempt=1, output=None),
    ]
    assert caplog.messages == ["dropped 3 log lines while the daemon was unreachable"]


def test_started_notices_are_never_dropped_and_a_draining_not_sent_is_said_again_by_the_next(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # A lost `started` would let a draining worker's running step be handed to another worker.
    async def main() -> list[object]:
        outgoing = Outgoing(limit=2)
        outgoing.put(Started(step_run_id="sr-1", attempt=1))
        outgoing.put(Draining())
        for number in range(3):
            outgoing.put(Log(step_run_id="sr-1", attempt=1, line=str(number)))
        outgoing.reconnected([])
        return list(outgoing)

    with caplog.at_level(logging.WARNING, logger="hatchet_cli.worker"):
        kept = asyncio.run(main())

    # The next connection queues its own `draining` once it is registered.
    assert kept == [Started(step_run_id="sr-1", attempt=1)]
    assert caplog.messages == ["dropped 3 log lines while the daemon was unreachable"]


def test_flushed_waits_until_the_last_message_is_on_the_socket() -> None:
    async def main() -> list[bool]:
        outgoing = Outgoing()
        seen = []
        await outgoing.flushed()  # nothing queued: at once
        outgoing.put(Draining())
        waiter = asyncio.ensure_future(outgoing.flushed())
        message = await outgoing.get()
        await asyncio.sleep(0)
        seen.append(waiter.done())  # taken, not yet sent
        outgoing.put_back(message)  # the send failed
        message = await outgoing.get()
        outgoing.sent()
        await asyncio.wait_for(waiter, DEADLINE)
        seen.append(waiter.done())
        return seen

    assert asyncio.run(main()) == [False, True]


def test_a_message_that_could_not_be_sent_goes_back_to_the_head_of_the_queue() -> None:
    async def main() -> list[object]:
        outgoing = Outgoing()
        outgoing.put(Started(step_run_id="sr-1", attempt=1))
        outgoing.put(Log(step_run_id="sr-1", attempt=1, line="x"))
        first = await outgoing.get()
        outgoing.put_back(first)
        return [await outgoing.get(), await outgoing.get()]

    assert asyncio.run(main()) == [
        Started(step_run_id="sr-1", attempt=1),
        Log(step_run_id="sr-1", attempt=1, line="x"),
    ]


# -- failures as the log shows them --------------------------------------------------------------


def test_connection_failures_name_the_address_and_the_daemon() -> None:
    refused = ConnectionRefusedError(111, "Connection refused")
    assert describe_failure("http://127.0.0.1:7070", refused, registered=False) == (
        "cannot reach the daemon at http://127.0.0.1:7070: [Errno 111] Connection refused "
        "(start it with `hatchetd`)"
    )
    assert describe_failure("http://h:1", EOFError(), registered=True) == (
        "lost the connection to the daemon at http://h:1: EOFError"
    )


# -- starting and stopping -----------------------------------------------------------------------


def test_a_stop_before_run_makes_it_return_at_once() -> None:
    worker = echo_worker(closed_port_address())
    worker.stop()

    asyncio.run(asyncio.wait_for(worker.arun(), DEADLINE))

    asyncio.run(asyncio.wait_for(_run_until_it_retries_then_stop(worker), DEADLINE))


async def _run_until_it_retries_then_stop(worker: Worker) -> None:
    """The flag of the first stop was used up: a second run really runs."""
    retried = asyncio.Event()

    class Spy(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if "retrying in" in record.getMessage():
                retried.set()

    spy = Spy()
    logging.getLogger("hatchet_cli.worker").addHandler(spy)
    try:
        task = asyncio.create_task(worker.arun())
        await retried.wait()
        worker.stop()
        await task
    finally:
        logging.getLogger("hatchet_cli.worker").removeHandler(spy)


def test_a_worker_without_a_daemon_keeps_retrying_until_stopped_from_a_task(
    caplog: pytest.LogCaptureFixture,
) -> None:
    address = closed_port_address()
    worker = echo_worker(address)

    with caplog.at_level(logging.INFO, logger="hatchet_cli.worker"):
        asyncio.run(asyncio.wait_for(_run_until_it_retries_then_stop(worker), DEADLINE))

    assert caplog.messages[0] == f"worker test-worker connecting to {address} (echo:echo)"
    assert caplog.messages[1].startswith(f"cannot reach the daemon at {address}: ")
    assert caplog.messages[1].endswith(" s")
    assert "(start it with `hatchetd`); retrying in " in caplog.messages[1]
    assert caplog.messages[-1] == "worker test-worker stopped"
    assert worker.worker_id is None


def test_a_worker_running_in_a_thread_stops_when_asked_from_another(
    caplog: pytest.LogCaptureFixture,
) -> None:
    worker = echo_worker(closed_port_address())
    failures: list[BaseException] = []

    def target() -> None:
        try:
            worker.run()  # not the main thread: no signal handlers are installed
        except BaseException as exc:
            failures.append(exc)

    with caplog.at_level(logging.INFO, logger="hatchet_cli.worker"):
        thread = threading.Thread(target=target)
        thread.start()
        wait_for(lambda: any("retrying in" in m for m in caplog.messages), "a retry")
        worker.stop()
        thread.join(DEADLINE)

    assert not thread.is_alive()
    assert failures == []
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL


def test_running_twice_at_once_is_refused() -> None:
    worker = echo_worker(closed_port_address())

    async def main() -> None:
        task = asyncio.create_task(worker.arun())
        await asyncio.sleep(0)
        try:
            with pytest.raises(RuntimeError, match="worker 'test-worker' is already running"):
                await worker.arun()
            with pytest.raises(RuntimeError, match="cannot register a:b: worker 'test-worker'"):
                worker.register_action("a:b", lambda input, ctx: None)
        finally:
            worker.stop()
            await task

    asyncio.run(asyncio.wait_for(main(), DEADLINE))


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_the_example_worker_exits_cleanly_on_a_signal(signum: signal.Signals) -> None:
    env = {**os.environ, "HATCHET_ADDRESS": closed_port_address(), "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        [sys.executable, str(ROOT / "examples/worker.py"), "--name", "signal-test"],
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    lines: queue.Queue[str] = queue.Queue()
    assert process.stderr is not None

    def read(stream: IO[str]) -> None:
        for line in stream:
            lines.put(line)

    reader = threading.Thread(target=read, args=(process.stderr,))
    reader.start()
    try:
        seen: list[str] = []
        deadline = time.monotonic() + DEADLINE
        while not any("retrying in" in line for line in seen):
            seen.append(lines.get(timeout=max(0.0, deadline - time.monotonic())))
        process.send_signal(signum)
        assert process.wait(DEADLINE) == 0
    finally:
        process.kill()
        process.wait()
        reader.join(DEADLINE)
        process.stderr.close()
    output = "".join(seen) + "".join(lines.queue)
    assert "worker signal-test connecting to" in output
    assert f"{signum.name}: stopping once the running step runs finish" in output
    assert "worker signal-test stopped" in output
