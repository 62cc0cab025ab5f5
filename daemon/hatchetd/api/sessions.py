"""The open worker sockets, and delivery of the engine's effects to them."""

from __future__ import annotations

import asyncio
import logging

from fastapi import WebSocket
from pydantic import BaseModel

from hatchetd.contracts.worker_protocol import (
    PROTOCOL_REVISION,
    REVISION_1_ASSIGN_EXCLUDES,
    Assign,
)
from hatchetd.engine import Effect, SendAssign, SendCancel

log = logging.getLogger("hatchetd.workers")


class WorkerSession:
    """One worker's socket with an outgoing queue, so messages leave in the order made."""

    def __init__(
        self, worker_id: str, socket: WebSocket, *, revision: int = PROTOCOL_REVISION
    ) -> None:
        self.worker_id = worker_id
        self.socket = socket
        # A revision-1 worker refuses a message with a field it does not know.
        self._assign_excludes = set(REVISION_1_ASSIGN_EXCLUDES) if revision < 2 else None
        self._outbox: asyncio.Queue[BaseModel | None] = asyncio.Queue()
        self._sender = asyncio.create_task(self._send_all(), name=f"send-{worker_id}")

    def send(self, message: BaseModel) -> None:
        """Queue a message for the worker."""
        self._outbox.put_nowait(message)

    async def close(self) -> None:
        """Stop sending; what is still queued is dropped (the lease covers lost assignments)."""
        self._outbox.put_nowait(None)
        await asyncio.gather(self._sender, return_exceptions=True)

    async def _send_all(self) -> None:
        while (message := await self._outbox.get()) is not None:
            try:
                excludes = self._assign_excludes if isinstance(message, Assign) else None
                await self.socket.send_text(message.model_dump_json(exclude=excludes))
            except Exception as exc:  # the socket closed under us; the receive loop ends too
                log.info("worker %s: send failed: %s", self.worker_id, exc)
                return


class WorkerSessions:
    """Every connected worker's session by worker id."""

    def __init__(self) -> None:
        self._sessions: dict[str, WorkerSession] = {}

    def add(self, session: WorkerSession) -> None:
        self._sessions[session.worker_id] = session

    def remove(self, worker_id: str) -> WorkerSession | None:
        return self._sessions.pop(worker_id, None)

    def __len__(self) -> int:
        return len(self._sessions)

    def deliver(self, effects: list[Effect]) -> None:
        """Send each effect to its worker; one that has gone is skipped (its lease expires)."""
        for effect in effects:
            if isinstance(effect, SendAssign | SendCancel):
                session = self._sessions.get(effect.worker_id)
                if session is None:
                    log.info(
                        "worker %s is gone: %s not sent", effect.worker_id, effect.message.type
                    )
                    continue
                session.send(effect.message)

    async def close_all(self) -> None:
        """Close every worker socket (daemon shutdown)."""
        sessions = list(self._sessions.values())
        self._sessions.clear()
        for session in sessions:
            await session.close()
            try:
                await session.socket.close(code=1001, reason="hatchetd is shutting down")
            except Exception:  # already closed by the worker
                log.debug("socket of %s already closed", session.worker_id)
