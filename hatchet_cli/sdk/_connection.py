"""The worker's side of the socket: where it is, what waits to be sent, how long to wait to retry.

Nothing here runs a step; `_worker.py` joins these pieces to a `StepRunner`.
"""

from __future__ import annotations

import asyncio
import logging
import os
import random
from collections import deque
from collections.abc import Coroutine, Iterable, Iterator
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

from pydantic import ValidationError

from hatchetd.contracts.worker_protocol import (
    DAEMON_MESSAGE,
    PROTOCOL_PATH,
    Assign,
    Cancel,
    Completed,
    Draining,
    Failed,
    Heartbeat,
    Log,
    ProtocolError,
    Register,
    Registered,
    ResultAck,
    WorkerMessage,
)

if TYPE_CHECKING:
    from websockets.asyncio.client import ClientConnection

    from ._runner import StepRunner

logger = logging.getLogger("hatchet_cli.worker")

DEFAULT_ADDRESS = "http://127.0.0.1:7070"
"""Where the daemon listens unless `address=` or `HATCHET_ADDRESS` says otherwise."""

REGISTER_TIMEOUT = 10.0
"""Seconds to wait for the daemon's `registered` after sending `register`."""

TRANSIENT_REFUSALS = frozenset({"draining", "unavailable"})
"""`error` codes answering `register` that are worth retrying (the daemon is shutting down);
any other code means retrying would not help, and the worker stops with `WorkerRejected`."""

MAX_QUEUED = 10_000
"""How many messages wait for the socket while it is down; the oldest log lines are dropped
beyond that. Results (the outbox keeps them) and `started` are never dropped: a worker that
drains lets the daemon hand back every step it did not say it started, so a lost `started`
would have a running step given to a second worker. There are few: one per step it was given."""


_HEARTBEAT = Heartbeat().model_dump_json()


class WorkerRejected(Exception):
    """The daemon refused this worker: a wrong token, or a registration it could not accept.

    Retrying would not help, so `Worker.run()` stops and raises this instead of reconnecting.
    """

    def __init__(self, address: str, reason: str) -> None:
        self.address = address
        self.reason = reason
        super().__init__(f"the daemon at {address} refused this worker: {reason}")


def resolve_address(address: str | None) -> str:
    """`address`, else `$HATCHET_ADDRESS`, else the default; without a trailing slash."""
    chosen = address or os.environ.get("HATCHET_ADDRESS") or DEFAULT_ADDRESS
    if "://" not in chosen:
        chosen = f"http://{chosen}"
    return chosen.rstrip("/")


def resolve_token(token: str | None) -> str | None:
    """`token`, else `$HATCHET_TOKEN`, else none."""
    return token or os.environ.get("HATCHET_TOKEN") or None


def socket_url(address: str) -> str:
    """The worker socket's URL for a daemon address: `http://h:7070` → `ws://h:7070/api/...`."""
    parts = urlsplit(address)
    schemes = {"http": "ws", "https": "wss", "ws": "ws", "wss": "wss"}
    if parts.scheme not in schemes or not parts.netloc:
        raise ValueError(
            f"invalid daemon address {address!r}: expected http://host:port or https://host:port"
        )
    path = parts.path.rstrip("/") + PROTOCOL_PATH
    return urlunsplit((schemes[parts.scheme], parts.netloc, path, "", ""))


class Backoff:
    """Delays between reconnection attempts: `base` doubling up to `cap`, with jitter.

    Each delay is the nominal one (`base`, `2 * base`, `4 * base`, ... never above `cap`) times a
    random factor between 0.5 and 1, so that workers cut off together do not come back together.
    `reset()` after a successful registration starts again from `base`.
    """

    def __init__(
        self, base: float = 0.5, cap: float = 10.0, *, rng: random.Random | None = None
    ) -> None:
        if base <= 0 or cap < base:
            raise ValueError(f"reconnect delays need 0 < base <= cap, got base={base}, cap={cap}")
        self.base = base
        self.cap = cap
        self._rng = rng or random.Random()
        self._failures = 0

    def next(self) -> float:
        """The delay before the next attempt."""
        nominal = min(self.cap, self.base * 2.0 ** min(self._failures, 62))
        self._failures += 1
        return nominal * self._rng.uniform(0.5, 1.0)

    def reset(self) -> None:
        self._failures = 0


class Outgoing:
    """Messages waiting for the socket, in the order they were emitted.

    While the socket is down, `started` and `log` messages wait here (beyond `MAX_QUEUED`,
    the oldest log lines give way). Results are different: each is also in the outbox until the
    daemon acknowledges it, so on every (re)connection `reconnected()` drops the results queued
    here and queues the whole outbox after the rest — each unacknowledged result is sent exactly
    once per connection. A `draining` not sent is dropped too: each connection says its own.
    """

    def __init__(self, limit: int = MAX_QUEUED) -> None:
        self._messages: deque[WorkerMessage] = deque()
        self._ready = asyncio.Event()
        self._limit = limit
        self._dropped = 0
        self._unsent = 0
        self._flushed = asyncio.Event()
        self._flushed.set()

    def put(self, message: WorkerMessage) -> None:
        """Queue a message (called on the event loop only)."""
        self._messages.append(message)
        if len(self._messages) > self._limit:
            self._drop_oldest()
        self._changed()

    def put_back(self, message: WorkerMessage) -> None:
        """Return a message that could not be sent to the head of the queue."""
        self._messages.appendleft(message)
        self._unsent -= 1
        self._changed()

    async def get(self) -> WorkerMessage:
        """The next message, waiting for one; call `sent()` once it is on the socket."""
        while not self._messages:
            self._ready.clear()
            await self._ready.wait()
        self._unsent += 1
        return self._messages.popleft()

    def sent(self) -> None:
        """The message `get()` returned last is on the socket."""
        self._unsent -= 1
        self._changed()

    async def flushed(self) -> None:
        """Return once nothing waits and nothing is being sent."""
        await self._flushed.wait()

    def _changed(self) -> None:
        self._ready.set()
        if self._messages or self._unsent:
            self._flushed.clear()
        else:
            self._flushed.set()

    def reconnected(self, unacknowledged: Iterable[Completed | Failed]) -> None:
        """Prepare for a new connection: results come from the outbox, after everything else."""
        kept = [m for m in self._messages if not isinstance(m, Completed | Failed | Draining)]
        self._messages = deque(kept)
        self._messages.extend(unacknowledged)
        self._unsent = 0  # whatever was being sent on the old socket was put back or lost
        if self._dropped:
            logger.warning(
                "dropped %d log lines while the daemon was unreachable",
                self._dropped,
            )
            self._dropped = 0
        self._changed()

    def __len__(self) -> int:
        return len(self._messages)

    def __iter__(self) -> Iterator[WorkerMessage]:
        return iter(list(self._messages))

    def _drop_oldest(self) -> None:
        for index, message in enumerate(self._messages):
            if isinstance(message, Log):
                del self._messages[index]
                self._dropped += 1
                return


# -- one connection ------------------------------------------------------------------------------


async def register_worker(socket: ClientConnection, register: Register, address: str) -> Registered:
    """Send `register` and wait for the daemon's `registered`; `WorkerRejected` if it refuses."""
    await socket.send(register.model_dump_json())
    async with asyncio.timeout(REGISTER_TIMEOUT):
        raw = await socket.recv()
    try:
        message = DAEMON_MESSAGE.validate_json(raw)
    except ValidationError:
        reason = f"its answer to `register` is not a message this SDK knows: {raw[:200]!r}"
        raise WorkerRejected(address, reason) from None
    if isinstance(message, ProtocolError):
        if message.code in TRANSIENT_REFUSALS:
            raise ConnectionError(f"the daemon refused to register: {message.message}")
        raise WorkerRejected(address, f"{message.code}: {message.message}")
    if not isinstance(message, Registered):
        raise ConnectionError(f"expected `registered` from the daemon, got `{message.type}`")
    return message


async def serve_socket(
    socket: ClientConnection,
    *,
    runner: StepRunner,
    outgoing: Outgoing,
    stopping: asyncio.Event,
    heartbeat_interval: float,
    address: str,
) -> None:
    """Carry messages both ways on a registered socket.

    Once `stopping` is set, it tells the daemon the worker is draining; it returns once the
    runner is idle (nothing running, every result acknowledged) and everything queued, that
    message included, is on the socket. Raises when the connection is lost.
    """
    outgoing.reconnected(runner.outbox)
    await _first_of(
        _read(socket, runner, stopping, address),
        _send(socket, outgoing),
        _beat(socket, heartbeat_interval),
        _drain(runner, outgoing, stopping),
    )


async def stopped_and_idle(runner: StepRunner, stopping: asyncio.Event) -> None:
    """Return once a stop was asked for and the runner has nothing left to do."""
    await stopping.wait()
    await runner.wait_idle()


async def _drain(runner: StepRunner, outgoing: Outgoing, stopping: asyncio.Event) -> None:
    """Once stopping: start nothing more, say `draining`, finish, and flush what is queued."""
    await stopping.wait()
    # Both in one step of the loop: every `started` emitted so far is queued ahead of
    # `draining`, and none can be emitted after it, so the daemon may hand back the rest.
    runner.stop_starting()
    outgoing.put(Draining())
    await runner.wait_idle()
    # Closing with `draining` still queued would leave what the daemon had just assigned to
    # wait out a lease instead of going straight to another worker.
    await outgoing.flushed()


def describe_failure(address: str, exc: BaseException, *, registered: bool) -> str:
    """A connection failure as one line for the log."""
    detail = str(exc) or type(exc).__name__
    if registered:
        return f"lost the connection to the daemon at {address}: {detail}"
    return f"cannot reach the daemon at {address}: {detail} (start it with `hatchetd`)"


async def _read(
    socket: ClientConnection, runner: StepRunner, stopping: asyncio.Event, address: str
) -> None:
    async for raw in socket:
        try:
            message = DAEMON_MESSAGE.validate_json(raw)
        except ValidationError as exc:
            logger.warning("ignored a message from the daemon: %s", exc.errors()[0]["msg"])
            continue
        if isinstance(message, Assign | Cancel | ResultAck):
            if stopping.is_set():  # `_drain` may not have run yet: refuse new work already
                runner.stop_starting()
            runner.handle(message)
        elif isinstance(message, ProtocolError):
            logger.warning("the daemon refused a message: %s: %s", message.code, message.message)
    raise ConnectionError(f"the daemon at {address} closed the connection")


async def _send(socket: ClientConnection, outgoing: Outgoing) -> None:
    while True:
        message = await outgoing.get()
        try:
            await socket.send(message.model_dump_json())
        except BaseException:
            outgoing.put_back(message)
            raise
        outgoing.sent()


async def _beat(socket: ClientConnection, interval: float) -> None:
    while True:
        await asyncio.sleep(interval)
        await socket.send(_HEARTBEAT)


async def _first_of(*coroutines: Coroutine[Any, Any, None]) -> None:
    """Run the coroutines until the first one ends; cancel the rest; raise what the first raised."""
    tasks = [asyncio.create_task(coroutine) for coroutine in coroutines]
    try:
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    for task in done:
        task.result()
