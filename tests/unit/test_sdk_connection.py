"""One connection's conversation (design §8): register, re-send what is unacknowledged, relay the
daemon's messages to the step runner, heartbeat, and finish a graceful stop.

The socket is an in-memory object with the three methods the worker uses (`send`, `recv` and
async iteration); the messages are the protocol's own models.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TYPE_CHECKING, Any, cast

import pytest

from hatchet_cli.sdk import Context, Worker, WorkerRejected
from hatchet_cli.sdk._connection import Outgoing, register_worker, serve_socket
from hatchet_cli.sdk._runner import StepRunner
from hatchetd.contracts.worker_protocol import (
    WORKER_MESSAGE,
    Assign,
    Completed,
    DaemonMessage,
    Draining,
    Heartbeat,
    ProtocolError,
    Register,
    Registered,
    ResultAck,
    Started,
    WorkerMessage,
)

if TYPE_CHECKING:
    from websockets.asyncio.client import ClientConnection

DEADLINE = 5.0
REGISTER = Register(name="w", actions=["echo:echo"], slots=1)


class MemorySocket:
    """What the daemon would read and write on the other end, in memory."""

    def __init__(self) -> None:
        self.sent: list[WorkerMessage] = []
        self._inbox: asyncio.Queue[str | None] = asyncio.Queue()

    def deliver(self, message: DaemonMessage | str) -> None:
        self._inbox.put_nowait(message if isinstance(message, str) else message.model_dump_json())

    def hang_up(self) -> None:
        self._inbox.put_nowait(None)

    async def send(self, text: str) -> None:
        self.sent.append(WORKER_MESSAGE.validate_json(text))

    async def recv(self) -> str:
        text = await self._inbox.get()
        assert text is not None
        return text

    async def __aiter__(self) -> AsyncIterator[str]:
        while (text := await self._inbox.get()) is not None:
            yield text

    def of(self, kind: type[Any]) -> list[Any]:
        return [message for message in self.sent if isinstance(message, kind)]


def as_socket(socket: MemorySocket) -> ClientConnection:
    return cast("ClientConnection", socket)


async def until(condition: Callable[[], bool]) -> None:
    async with asyncio.timeout(DEADLINE):
        while not condition():
            await asyncio.sleep(0.001)


def assign(step_run_id: str = "sr-1") -> Assign:
    return Assign(
        step_run_id=step_run_id,
        attempt=1,
        workflow_run_id="wr-1",
        action="echo:echo",
        input={"message": step_run_id},
    )


def ack(step_run_id: str = "sr-1") -> ResultAck:
    return ResultAck(step_run_id=step_run_id, attempt=1, accepted=True)


# -- registration ------------------------------------------------------------------------------


def registering(*answers: DaemonMessage | str) -> tuple[MemorySocket, Awaitable[Registered]]:
    socket = MemorySocket()
    for answer in answers:
        socket.deliver(answer)
    return socket, register_worker(as_socket(socket), REGISTER, "http://127.0.0.1:7070")


def test_register_is_sent_first_and_registered_is_the_answer() -> None:
    async def main() -> tuple[Registered, list[WorkerMessage]]:
        socket, registration = registering(Registered(worker_id="w-1", heartbeat_interval=5))
        return await registration, socket.sent

    registered, sent = asyncio.run(main())

    assert registered.worker_id == "w-1"
    assert sent == [REGISTER]


def test_a_refused_registration_stops_the_worker_with_the_daemons_reason() -> None:
    async def main() -> None:
        _, registration = registering(ProtocolError(code="invalid_message", message="slots: big"))
        await registration

    with pytest.raises(WorkerRejected) as caught:
        asyncio.run(main())

    assert str(caught.value) == (
        "the daemon at http://127.0.0.1:7070 refused this worker: invalid_message: slots: big"
    )


def test_a_draining_daemon_is_retried_later_not_a_rejection() -> None:
    async def main() -> None:
        _, registration = registering(ProtocolError(code="draining", message="shutting down"))
        await registration

    with pytest.raises(ConnectionError, match="the daemon refused to register: shutting down"):
        asyncio.run(main())


def test_an_answer_this_sdk_cannot_read_is_a_rejection() -> None:
    async def main() -> None:
        _, registration = registering(json.dumps({"type": "welcome"}))
        await registration

    with pytest.raises(WorkerRejected, match="its answer to `register` is not a message"):
        asyncio.run(main())


# -- serving -----------------------------------------------------------------------------------


def serving(
    body: Callable[[MemorySocket, StepRunner, asyncio.Event, asyncio.Task[None]], Awaitable[None]],
    *,
    heartbeat_interval: float = 60.0,
    before: Callable[[StepRunner], Awaitable[None]] | None = None,
    worker: Worker | None = None,
    stopping_already: bool = False,
) -> MemorySocket:
    """Serve a registered `MemorySocket` while `body` plays the daemon; the socket after. The
    worker echoes its input unless another is given."""
    if worker is None:
        worker = Worker("w")
        worker.register_action("echo:echo", lambda input, ctx: input)
    the_worker = worker

    async def main() -> MemorySocket:
        socket = MemorySocket()
        outgoing = Outgoing()
        runner = the_worker._step_runner(outgoing.put)
        stopping = asyncio.Event()
        if stopping_already:
            stopping.set()
        try:
            if before is not None:
                await before(runner)
            task = asyncio.create_task(
                serve_socket(
                    as_socket(socket),
                    runner=runner,
                    outgoing=outgoing,
                    stopping=stopping,
                    heartbeat_interval=heartbeat_interval,
                    address="http://127.0.0.1:7070",
                )
            )
            try:
                await body(socket, runner, stopping, task)
            finally:
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
        finally:
            await runner.aclose()
        return socket

    return asyncio.run(main())


def test_an_assignment_is_run_and_its_result_sent_and_forgotten_once_acknowledged() -> None:
    async def daemon(
        socket: MemorySocket, runner: StepRunner, _: asyncio.Event, __: asyncio.Task[None]
    ) -> None:
        socket.deliver(assign())
        await until(lambda: bool(socket.of(Completed)))
        assert len(runner.outbox) == 1
        socket.deliver(ack())
        await until(lambda: runner.idle)

    socket = serving(daemon)

    assert socket.sent == [
        Started(step_run_id="sr-1", attempt=1),
        Completed(step_run_id="sr-1", attempt=1, output={"message": "sr-1"}),
    ]


def test_unacknowledged_results_are_sent_first_on_a_new_connection() -> None:
    async def computed_while_disconnected(runner: StepRunner) -> None:
        runner.assign(assign("sr-0"))
        await until(lambda: runner.running == 0)

    async def daemon(
        socket: MemorySocket, runner: StepRunner, _: asyncio.Event, __: asyncio.Task[None]
    ) -> None:
        await until(lambda: bool(socket.of(Completed)))

    socket = serving(daemon, before=computed_while_disconnected)

    assert socket.sent == [
        Started(step_run_id="sr-0", attempt=1),
        Completed(step_run_id="sr-0", attempt=1, output={"message": "sr-0"}),
    ]


def test_heartbeats_go_out_on_the_interval() -> None:
    async def daemon(
        socket: MemorySocket, _: StepRunner, __: asyncio.Event, ___: asyncio.Task[None]
    ) -> None:
        await until(lambda: len(socket.of(Heartbeat)) >= 3)

    assert serving(daemon, heartbeat_interval=0.001).of(Heartbeat)[:3] == [Heartbeat()] * 3


def test_a_stopping_worker_starts_nothing_new_and_returns_once_results_are_acknowledged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def daemon(
        socket: MemorySocket, runner: StepRunner, stopping: asyncio.Event, task: asyncio.Task[None]
    ) -> None:
        socket.deliver(assign("sr-1"))
        await until(lambda: bool(socket.of(Completed)))
        stopping.set()
        socket.deliver(assign("sr-2"))  # too late: the worker is stopping
        await until(lambda: bool(socket.of(Draining)))
        assert not task.done()  # sr-1's result is not acknowledged yet
        socket.deliver(ack("sr-1"))
        async with asyncio.timeout(DEADLINE):
            await task  # returns by itself: nothing runs, nothing waits for an ack

    with caplog.at_level(logging.INFO, logger="hatchet_cli.worker"):
        socket = serving(daemon)

    assert socket.sent == [
        Started(step_run_id="sr-1", attempt=1),
        Completed(step_run_id="sr-1", attempt=1, output={"message": "sr-1"}),
        Draining(),
    ]
    assert caplog.messages == [
        "not starting step run sr-2 (echo:echo): this worker is draining; the daemon gives it to "
        "another worker"
    ]


def test_draining_follows_every_started_sent_and_no_started_follows_it() -> None:
    worker = Worker("w", slots=1)
    release = asyncio.Event()

    @worker.action("echo:echo")
    async def wait(input: Any, ctx: Context) -> str:
        await release.wait()
        return ctx.step_run_id

    async def daemon(
        socket: MemorySocket, runner: StepRunner, stopping: asyncio.Event, task: asyncio.Task[None]
    ) -> None:
        socket.deliver(assign("sr-1"))
        socket.deliver(assign("sr-2"))  # assigned, waiting for sr-1's slot: not started
        await until(lambda: bool(socket.of(Started)) and runner.running == 2)
        stopping.set()
        await until(lambda: bool(socket.of(Draining)))
        release.set()  # sr-1, which had started, finishes and its result goes out
        await until(lambda: bool(socket.of(Completed)))
        socket.deliver(ack("sr-1"))
        async with asyncio.timeout(DEADLINE):
            await task

    socket = serving(daemon, worker=worker)

    assert socket.sent == [
        Started(step_run_id="sr-1", attempt=1),
        Draining(),
        Completed(step_run_id="sr-1", attempt=1, output="sr-1"),
    ]


def test_a_worker_that_reconnects_while_stopping_says_it_is_draining_again() -> None:
    async def computed_before_the_reconnect(runner: StepRunner) -> None:
        runner.assign(assign("sr-0"))
        await until(lambda: runner.running == 0)

    async def daemon(
        socket: MemorySocket, runner: StepRunner, _: asyncio.Event, task: asyncio.Task[None]
    ) -> None:
        await until(lambda: bool(socket.of(Draining)))
        socket.deliver(assign("sr-1"))  # assigned to the new identity before `draining` arrived
        socket.deliver(ack("sr-0"))
        async with asyncio.timeout(DEADLINE):
            await task

    socket = serving(daemon, before=computed_before_the_reconnect, stopping_already=True)

    assert socket.sent == [
        Started(step_run_id="sr-0", attempt=1),
        Completed(step_run_id="sr-0", attempt=1, output={"message": "sr-0"}),
        Draining(),
    ]


def test_a_stopping_worker_that_is_idle_still_sends_draining_before_it_returns() -> None:
    async def daemon(
        socket: MemorySocket, _: StepRunner, stopping: asyncio.Event, task: asyncio.Task[None]
    ) -> None:
        stopping.set()
        async with asyncio.timeout(DEADLINE):
            await task

    assert serving(daemon).sent == [Draining()]


def test_the_daemon_hanging_up_is_a_lost_connection() -> None:
    async def daemon(
        socket: MemorySocket, _: StepRunner, __: asyncio.Event, task: asyncio.Task[None]
    ) -> None:
        socket.hang_up()
        with pytest.raises(
            ConnectionError, match=re.escape("the daemon at http://127.0.0.1:7070 closed")
        ):
            async with asyncio.timeout(DEADLINE):
                await task

    serving(daemon)


def test_messages_the_sdk_cannot_read_are_skipped_with_a_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def daemon(
        socket: MemorySocket, _: StepRunner, __: asyncio.Event, ___: asyncio.Task[None]
    ) -> None:
        socket.deliver(json.dumps({"type": "reticulate"}))
        socket.deliver(ProtocolError(code="invalid_message", message="line: too long"))
        socket.deliver(assign())
        await until(lambda: bool(socket.of(Completed)))

    with caplog.at_level(logging.WARNING, logger="hatchet_cli.worker"):
        serving(daemon)

    assert caplog.messages[0].startswith("ignored a message from the daemon: ")
    assert caplog.messages[1] == "the daemon refused a message: invalid_message: line: too long"
