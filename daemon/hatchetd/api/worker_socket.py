"""The worker WebSocket (design §8; messages in `hatchetd.contracts.worker_protocol`)."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable

from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from fastapi.responses import JSONResponse
from pydantic import ValidationError

from hatchetd.api.auth import socket_authorised
from hatchetd.api.errors import error_response, validation_message
from hatchetd.api.openapi import errors
from hatchetd.api.services import Services
from hatchetd.api.sessions import WorkerSession
from hatchetd.contracts.json_values import JsonProblem, NotJson, escape_unstorable, load_json
from hatchetd.contracts.worker_protocol import (
    PROTOCOL_HEADER,
    PROTOCOL_PATH,
    WORKER_MESSAGE,
    Completed,
    Draining,
    Failed,
    Heartbeat,
    Log,
    ProtocolError,
    Register,
    Registered,
    ResultAck,
    Started,
    WorkerMessage,
)
from hatchetd.engine import Engine, ResultOutcome
from hatchetd.store import StoreTrouble

log = logging.getLogger("hatchetd.workers")
_TAGS = frozenset({"register", "heartbeat", "started", "completed", "failed", "log", "draining"})
router = APIRouter()
_UPGRADE = {
    "description": "`websocket`: the protocol to upgrade to.",
    "required": True,
    "schema": {"type": "string"},
}


@router.get(
    PROTOCOL_PATH,
    tags=["workers"],
    status_code=101,
    response_model=None,
    response_description="Switching Protocols: the worker socket is open.",
    responses={426: {**errors(426)[426], "headers": {"Upgrade": _UPGRADE}}},
)
async def connect_worker() -> JSONResponse:
    """The worker socket, opened with a WebSocket handshake (RFC 6455) on this path.

    Its JSON messages are those of `hatchetd.contracts.worker_protocol` (docs/sdk.md): the
    worker sends `register` first, then heartbeats, starts, results and log lines; the daemon
    answers `registered` and sends assignments and cancellations. A missing or wrong token
    (when the daemon has one) refuses the handshake (HTTP 403). A plain HTTP request here is
    answered 426.
    """
    response = error_response(
        426,
        "upgrade_required",
        "this is the worker socket: open it as a WebSocket (the SDK's Worker does)",
    )
    response.headers["Upgrade"] = "websocket"
    return response


@router.websocket(PROTOCOL_PATH)
async def worker_socket(socket: WebSocket) -> None:
    """Register the worker, then relay its messages to the engine until it goes."""
    services: Services = socket.app.state.services
    if not socket_authorised(socket, services.settings.token):
        await socket.close(code=4401, reason="missing or wrong bearer token")
        return
    await socket.accept()
    if services.draining:
        await _refuse(socket, "draining", "hatchetd is shutting down")
        return
    try:
        first = _parse(await socket.receive_text())
    except _Unusable as exc:
        await _refuse(socket, "invalid_message", str(exc))
        return
    except WebSocketDisconnect:
        return
    if not isinstance(first, Register):
        await _refuse(socket, "not_registered", f"send register first, not {first.type}")
        return
    try:
        worker = await services.runtime.call(
            lambda e: e.worker_connected(first.name, first.actions, first.slots)
        )
    except StoreTrouble as exc:  # the SDK retries "unavailable" with backoff
        await _refuse(socket, "unavailable", f"cannot register now: {exc}")
        return
    session = WorkerSession(worker.id, socket, revision=_revision(socket))
    services.sessions.add(session)
    session.send(
        Registered(worker_id=worker.id, heartbeat_interval=services.settings.heartbeat_interval)
    )
    log.info("worker %s (%s) registered: %s", worker.id, worker.name, ", ".join(worker.actions))
    results = _Results(session, services, limit=min(max(first.slots, 16), 1024))
    try:
        await _relay(socket, session, services, results)
    finally:
        services.sessions.remove(worker.id)
        await session.close()
        try:
            # Deferred through an outage: a worker the engine still counted as connected
            # afterwards would be given work it can never receive.
            await services.runtime.call(lambda e: e.worker_disconnected(worker.id), defer=True)
        except StoreTrouble as exc:  # the daemon stopped before the database came back
            log.warning("worker %s: disconnection not recorded: %s", worker.id, exc)
        log.info("worker %s disconnected", worker.id)


class _Results:
    """A worker's results on their way to the store, each acknowledged once committed.

    The read loop does not wait for a result's commit before reading the next message, so a
    busy worker's results share commits instead of paying one fsync each (design §11). The
    runtime's queue is first in, first out, so acknowledgements still leave in order; the
    number in flight is bounded, so a worker that floods results is slowed, not buffered.
    """

    def __init__(self, session: WorkerSession, services: Services, *, limit: int) -> None:
        self._session = session
        self._services = services
        self._room = asyncio.Semaphore(limit)
        self._closing: set[asyncio.Task[None]] = set()

    async def submit(self, message: Completed | Failed) -> None:
        await self._room.acquire()
        future = self._services.runtime.submit(_result(self._session.worker_id, message))
        future.add_done_callback(lambda done: self._acknowledge(done, message))

    def _acknowledge(
        self, done: asyncio.Future[ResultOutcome], message: Completed | Failed
    ) -> None:
        self._room.release()
        if done.cancelled():
            return
        error = done.exception()
        if error is not None:
            # Not stored: close the socket unacknowledged; the worker reconnects and sends it
            # again (the SDK keeps every result until it is acknowledged).
            log.error("result for %s not stored: %s", message.step_run_id, error)
            closing = asyncio.ensure_future(
                self._session.socket.close(code=1011, reason="result not stored")
            )
            self._closing.add(closing)
            closing.add_done_callback(self._closing.discard)
            return
        outcome = done.result()
        self._session.send(
            ResultAck(
                step_run_id=message.step_run_id,
                attempt=message.attempt,
                accepted=outcome.accepted,
                reason=outcome.reason,
            )
        )


async def _relay(
    socket: WebSocket, session: WorkerSession, services: Services, results: _Results
) -> None:
    worker_id = session.worker_id
    while True:
        try:
            text = await socket.receive_text()
        except WebSocketDisconnect:
            return
        try:
            message = _parse(text)
        except _Unusable as exc:
            # Refused, not stored: a result stays unacknowledged (the SDK checks its outputs with
            # the same rules before sending, so only another client gets here).
            session.send(ProtocolError(code="invalid_message", message=str(exc)))
            continue
        if isinstance(message, Completed | Failed):
            await results.submit(message)
        elif isinstance(message, Heartbeat):
            try:
                alive = await services.runtime.call(lambda e: e.heartbeat(worker_id))
            except StoreTrouble:
                continue  # not recorded; the worker counts as heard once the database is back
            if not alive:
                # Marked lost while its socket stayed open (it was paused, say): close it, so
                # the worker reconnects under a new identity and re-sends what it finished.
                await _refuse(socket, "lost", "this worker missed its heartbeats; reconnect")
                return
        elif isinstance(message, Register):
            session.send(ProtocolError(code="already_registered", message="register only once"))
        elif isinstance(message, Draining):
            # Queued behind every `started` read before it (the runtime's queue is first in,
            # first out), so what the worker started stays with it and only the rest is handed
            # back.
            services.runtime.post(_drain(worker_id))
        else:
            # Starts and logs need no answer: they ride the next batch.
            services.runtime.post(_note(worker_id, message))


def _revision(socket: WebSocket) -> int:
    """The protocol revision the worker names in its handshake; 1 without a readable one (workers
    before revisions sent no header)."""
    named = socket.headers.get(PROTOCOL_HEADER, "")
    return int(named) if named.isascii() and named.isdigit() else 1


class _Unusable(Exception):
    """A worker's message the daemon cannot use; the text says why."""


def _parse(text: str) -> WorkerMessage:
    """A worker's message, read under the rules of every stored value (`json_values`): a NUL in a
    log line or a NaN in an output is refused here, naming the field, rather than failing the
    engine's batch (PostgreSQL) or being stored changed (SQLite)."""
    try:
        document = load_json(text, envelope=1)  # one object around `output`
        return WORKER_MESSAGE.validate_python(document)
    except NotJson as exc:
        raise _Unusable(f"the message is {exc}") from None
    except JsonProblem as exc:
        raise _Unusable(_which(text) + exc.describe(whole="the message")) from None
    except ValidationError as exc:
        raise _Unusable(_which(text) + validation_message(exc, drop=_TAGS)) from None


def _which(text: str) -> str:
    """`completed for step run … attempt 1: ` when the refused text says so, so that a worker
    with several results in flight knows which one was refused."""
    try:
        fields = json.loads(text)
    except (ValueError, RecursionError):
        return ""
    if not isinstance(fields, dict) or not isinstance(fields.get("step_run_id"), str):
        return ""
    which = f"{fields.get('type')} for step run {fields['step_run_id']}"
    return escape_unstorable(which[:200]) + ": "  # the answer must be sendable text too


def _result(worker_id: str, message: Completed | Failed) -> Callable[[Engine], ResultOutcome]:
    if isinstance(message, Completed):
        done = message
        return lambda e: e.step_completed(worker_id, done.step_run_id, done.attempt, done.output)
    failed = message
    return lambda e: e.step_failed(
        worker_id, failed.step_run_id, failed.attempt, failed.error, failed.traceback
    )


def _note(worker_id: str, message: Started | Log) -> Callable[[Engine], object]:
    if isinstance(message, Started):
        started = message
        return lambda e: e.step_started(worker_id, started.step_run_id, started.attempt)
    line = message
    return lambda e: e.append_log(worker_id, line.step_run_id, line.attempt, line.line)


def _drain(worker_id: str) -> Callable[[Engine], object]:
    def drain(engine: Engine) -> object:
        handed_back = engine.worker_draining(worker_id)
        log.info(
            "worker %s is draining; %d step runs it had not started handed back",
            worker_id,
            len(handed_back),
        )
        return handed_back

    return drain


async def _refuse(socket: WebSocket, code: str, message: str) -> None:
    await socket.send_text(ProtocolError(code=code, message=message).model_dump_json())
    await socket.close(code=1008, reason=message[:120])
