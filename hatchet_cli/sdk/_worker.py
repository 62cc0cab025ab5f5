"""`Worker`: registers actions, holds the socket to the daemon, and stops gracefully."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import InvalidStatus, WebSocketException
from websockets.frames import CloseCode

from hatchetd.contracts.json_values import text_problem
from hatchetd.contracts.worker_protocol import (
    PROTOCOL_HEADER,
    PROTOCOL_REVISION,
    Register,
    WorkerMessage,
)

from ._actions import Action, ActionFunction
from ._connection import (
    Backoff,
    Outgoing,
    WorkerRejected,
    describe_failure,
    register_worker,
    resolve_address,
    resolve_token,
    serve_socket,
    socket_url,
    stopped_and_idle,
)
from ._runner import StepRunner

logger = logging.getLogger("hatchet_cli.worker")

F = TypeVar("F", bound=ActionFunction)

MAX_MESSAGE_BYTES = 64 * 1024 * 1024
"""The largest message accepted from the daemon (an assignment carries its job's outputs)."""


@dataclass(eq=False)
class _RunState:
    """One `arun()`: its loop, and the two steps of stopping."""

    loop: asyncio.AbstractEventLoop
    stopping: asyncio.Event = field(default_factory=asyncio.Event)
    """Take no new work; finish what runs; return once every result is acknowledged."""
    forced: asyncio.Event = field(default_factory=asyncio.Event)
    """Stop now, whatever is running."""


class Worker:
    """A process's connection to the daemon: the actions it runs and how many at once.

    ```python
    worker = Worker("billing", slots=8)

    @worker.action("echo:echo")
    def echo(input: dict, ctx: Context) -> dict:
        return {"message": input["message"]}

    worker.run()
    ```

    `address` defaults to `$HATCHET_ADDRESS`, else `http://127.0.0.1:7070`; `token` to
    `$HATCHET_TOKEN`. `heartbeat_interval` (seconds) overrides the interval the daemon asks for.
    After a lost connection the worker reconnects after `reconnect_delay` seconds, doubling up to
    `max_reconnect_delay`, each delay jittered down by up to half. `shutdown_timeout` bounds a
    graceful stop: how long to wait for running steps and for their results to be acknowledged.
    """

    def __init__(
        self,
        name: str,
        *,
        slots: int = 1,
        address: str | None = None,
        token: str | None = None,
        heartbeat_interval: float | None = None,
        reconnect_delay: float = 0.5,
        max_reconnect_delay: float = 10.0,
        shutdown_timeout: float = 30.0,
    ) -> None:
        if not isinstance(name, str) or not 1 <= len(name) <= 200 or text_problem(name):
            raise ValueError(f"invalid worker name {name!r}: use 1 to 200 characters, no NUL")
        if isinstance(slots, bool) or not isinstance(slots, int) or not 1 <= slots <= 10_000:
            raise ValueError(f"invalid slots {slots!r}: a whole number from 1 to 10000")
        if heartbeat_interval is not None and heartbeat_interval <= 0:
            raise ValueError(f"invalid heartbeat_interval {heartbeat_interval!r}: must be > 0")
        if shutdown_timeout < 0:
            raise ValueError(f"invalid shutdown_timeout {shutdown_timeout!r}: must be >= 0")
        Backoff(reconnect_delay, max_reconnect_delay)  # check the delays now
        self.name = name
        self.slots = slots
        self.address = resolve_address(address)
        self._url = socket_url(self.address)
        self._token = resolve_token(token)
        self.heartbeat_interval = heartbeat_interval
        self.reconnect_delay = reconnect_delay
        self.max_reconnect_delay = max_reconnect_delay
        self.shutdown_timeout = shutdown_timeout
        self._actions: dict[str, Action] = {}
        self._stop_requested = threading.Event()
        self._state: _RunState | None = None
        self._worker_id: str | None = None
        self._forced_by: int | None = None

    def __repr__(self) -> str:
        return f"Worker({self.name!r}, slots={self.slots}, address={self.address!r})"

    # -- actions -------------------------------------------------------------------------------

    def action(self, name: str) -> Callable[[F], F]:
        """Register the decorated function as the action `name` (`integration:verb`).

        The function is returned unchanged; it only gains a `__hatchet_action__` attribute.
        """

        def register(fn: F) -> F:
            self._register(name, fn, sys._getframe(1).f_locals)
            with contextlib.suppress(AttributeError, TypeError):  # e.g. a bound method
                fn.__hatchet_action__ = name  # type: ignore[union-attr]
            return fn

        return register

    def register_action(self, name: str, fn: ActionFunction) -> None:
        """Register `fn(input, ctx)` as the action `name`; each name once per worker."""
        self._register(name, fn, sys._getframe(1).f_locals)

    def _register(self, name: str, fn: ActionFunction, localns: dict[str, Any]) -> None:
        if self._state is not None:
            raise RuntimeError(f"cannot register {name}: worker {self.name!r} is already running")
        action = Action.create(name, fn, localns=localns)
        if name in self._actions:
            raise ValueError(
                f"action {name} is already registered on worker {self.name!r} "
                f"(by {_describe(self._actions[name].fn)})"
            )
        self._actions[name] = action

    @property
    def actions(self) -> list[str]:
        """The names of the registered actions, in the order they were registered."""
        return list(self._actions)

    @property
    def worker_id(self) -> str | None:
        """The id the daemon gave this worker's current connection; None while not registered."""
        return self._worker_id

    # -- running -------------------------------------------------------------------------------

    def run(self) -> None:
        """Connect and run step runs until stopped; blocks.

        In the main thread, SIGINT and SIGTERM stop the worker gracefully (see `stop()`); a
        second signal stops it at once and exits the process with status 128 + the signal number.
        """
        forced_by = asyncio.run(self._run_with_signals())
        if forced_by is not None:
            raise SystemExit(128 + forced_by)

    async def arun(self) -> None:
        """`run()` inside a running event loop, without touching signal handlers."""
        if not self._actions:
            raise RuntimeError(
                f"worker {self.name!r} has no actions: register some with @worker.action(...) "
                "or worker.register_action(...) before running it"
            )
        if self._state is not None:
            raise RuntimeError(f"worker {self.name!r} is already running")
        state = _RunState(asyncio.get_running_loop())
        self._state = state
        if self._stop_requested.is_set():  # stop() came first: stop() reads _state after
            state.stopping.set()
        outgoing = Outgoing()
        runner = self._step_runner(outgoing.put)
        logger.info(
            "worker %s connecting to %s (%s)", self.name, self.address, ", ".join(self._actions)
        )
        serve = asyncio.create_task(self._serve(runner, outgoing, state), name="hatchet worker")
        try:
            await self._supervise(serve, runner, state)
        finally:
            if not serve.done():
                serve.cancel()
                await asyncio.gather(serve, return_exceptions=True)
            await runner.aclose()
            self._state = None
            self._worker_id = None
            self._stop_requested.clear()
        logger.info("worker %s stopped", self.name)

    def stop(self) -> None:
        """Stop gracefully: take no new work, finish the running step runs, deliver their results
        (bounded by `shutdown_timeout`), then disconnect and return from `run()` / `arun()`.

        Safe to call from any thread or task; a stop before `run()` makes it return at once.
        """
        self._stop_requested.set()
        state = self._state
        if state is not None:
            with contextlib.suppress(RuntimeError):  # the loop has just closed
                state.loop.call_soon_threadsafe(state.stopping.set)

    # -- internals -----------------------------------------------------------------------------

    def _serve_at(self, address: str, *, token: str | None) -> None:
        """Connect to `address` from now on (`hatchet_cli.testing` points a user's worker at its
        temporary daemon); only while the worker is not running."""
        if self._state is not None:
            raise RuntimeError(f"worker {self.name!r} is running: stop it first")
        self.address = resolve_address(address)
        self._url = socket_url(self.address)
        self._token = token

    def _step_runner(self, emit: Callable[[WorkerMessage], None]) -> StepRunner:
        """The execution path with its output going to `emit`: the socket, or a test's list."""
        return StepRunner(self._actions, slots=self.slots, emit=emit)

    async def _run_with_signals(self) -> int | None:
        """`arun()` with SIGINT and SIGTERM handled; the signal that forced a stop, if any."""
        loop = asyncio.get_running_loop()
        installed: list[signal.Signals] = []
        if threading.current_thread() is threading.main_thread():
            for signum in (signal.SIGINT, signal.SIGTERM):
                try:
                    loop.add_signal_handler(signum, self._on_signal, signum)
                except (NotImplementedError, RuntimeError):  # no loop signal handlers here
                    continue
                installed.append(signum)
        self._forced_by = None
        try:
            await self.arun()
        finally:
            for signum in installed:
                loop.remove_signal_handler(signum)
        return self._forced_by

    def _on_signal(self, signum: signal.Signals) -> None:
        state = self._state
        if state is None:
            return
        if not state.stopping.is_set():
            logger.info(
                "%s: stopping once the running step runs finish (again to exit at once)",
                signum.name,
            )
            state.stopping.set()
        else:
            logger.warning("%s again: exiting at once", signum.name)
            self._forced_by = signum
            state.forced.set()

    async def _supervise(
        self, serve: asyncio.Task[None], runner: StepRunner, state: _RunState
    ) -> None:
        """Wait for `serve`; once a stop is asked for, give it `shutdown_timeout` to finish."""
        stopping = asyncio.create_task(state.stopping.wait())
        forced = asyncio.create_task(state.forced.wait())
        try:
            await asyncio.wait({serve, stopping}, return_when=asyncio.FIRST_COMPLETED)
            if not serve.done():
                if not runner.idle:
                    logger.info(
                        "stopping: waiting up to %g s for %d running step runs to finish and "
                        "%d results to be acknowledged",
                        self.shutdown_timeout,
                        runner.running,
                        len(runner.outbox),
                    )
                await asyncio.wait(
                    {serve, forced},
                    timeout=self.shutdown_timeout,
                    return_when=asyncio.FIRST_COMPLETED,
                )
            if not serve.done():
                logger.warning("stopped before finishing: %s", runner.describe_pending())
                serve.cancel()
                await asyncio.gather(serve, return_exceptions=True)
            else:
                serve.result()  # raises WorkerRejected
        finally:
            stopping.cancel()
            forced.cancel()
            await asyncio.gather(stopping, forced, return_exceptions=True)

    async def _serve(self, runner: StepRunner, outgoing: Outgoing, state: _RunState) -> None:
        """Connect, and reconnect with backoff, until a graceful stop has nothing left to do."""
        backoff = Backoff(self.reconnect_delay, self.max_reconnect_delay)
        headers = {PROTOCOL_HEADER: str(PROTOCOL_REVISION)}
        if self._token:
            headers["Authorization"] = f"Bearer {self._token}"
        while not (state.stopping.is_set() and runner.idle):
            try:
                async with connect(
                    self._url,
                    additional_headers=headers,
                    max_size=MAX_MESSAGE_BYTES,
                    close_timeout=3,
                ) as socket:
                    await self._session(socket, runner, outgoing, state, backoff)
                return
            except InvalidStatus as exc:
                status = exc.response.status_code
                if status in (401, 403):
                    hint = "set HATCHET_TOKEN (or token=) to the daemon's token"
                    raise WorkerRejected(self.address, f"HTTP {status}; {hint}") from None
                reason = f"the daemon at {self.address} answered HTTP {status}"
            except (OSError, TimeoutError, WebSocketException) as exc:
                reason = describe_failure(self.address, exc, registered=self._worker_id is not None)
            self._worker_id = None
            if state.stopping.is_set() and runner.idle:
                return
            delay = backoff.next()
            logger.warning("%s; retrying in %.1f s", reason, delay)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stopped_and_idle(runner, state.stopping), delay)

    async def _session(
        self,
        socket: ClientConnection,
        runner: StepRunner,
        outgoing: Outgoing,
        state: _RunState,
        backoff: Backoff,
    ) -> None:
        """One connection: register, re-send the outbox, then serve until told to stop."""
        register = Register(name=self.name, actions=list(self._actions), slots=self.slots)
        registered = await register_worker(socket, register, self.address)
        self._worker_id = registered.worker_id
        backoff.reset()
        logger.info(
            "registered as worker %s (%s, %d actions, %d slots)",
            registered.worker_id,
            self.name,
            len(self._actions),
            self.slots,
        )
        if runner.outbox:
            logger.info("sending %d unacknowledged results again", len(runner.outbox))
        try:
            await serve_socket(
                socket,
                runner=runner,
                outgoing=outgoing,
                stopping=state.stopping,
                heartbeat_interval=self.heartbeat_interval or registered.heartbeat_interval,
                address=self.address,
            )
        except asyncio.CancelledError:  # stopped before finishing: say so, not "internal error"
            with contextlib.suppress(Exception):
                await socket.close(CloseCode.GOING_AWAY, "the worker is stopping")
            raise


def _describe(fn: object) -> str:
    module = getattr(fn, "__module__", None)
    name = getattr(fn, "__qualname__", None) or repr(fn)
    return f"{module}.{name}" if module else str(name)
