"""Draining: how the daemon stops taking work without dropping what it was given.

On the first SIGTERM the daemon drains (design §7): every new HTTP request gets 503
`unavailable` with `Retry-After` and `Connection: close`; requests already being handled are
answered (also with `Connection: close`, so no client keeps a connection that is about to go);
worker sockets stay open, so the results of steps already running are still stored; nothing new
is assigned. The server (`server.py`) closes the listener and the connections only once the
running steps are done and no request is in flight, or the drain timeout has come.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hatchetd.api.errors import error_response
from hatchetd.api.services import DRAIN_RETRY_AFTER, Services

PROBES = frozenset({"/livez", "/readyz"})
"""Still answered while draining: `/readyz` says why it is not ready."""


class DrainGate:
    """ASGI middleware: 503 for new requests while draining, and `Services.in_flight`."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        services: Services | None = getattr(scope["app"].state, "services", None)
        if scope["type"] != "http" or services is None:
            await self.app(scope, receive, send)
            return
        if services.draining and scope["path"] not in PROBES:
            response = error_response(
                503,
                "unavailable",
                "hatchetd is shutting down; try again shortly",
                retry_after=DRAIN_RETRY_AFTER,
            )
            response.headers["Connection"] = "close"
            await response(scope, receive, send)
            return
        # The change stream lasts as long as its reader; draining ends it rather than waits.
        counted = not scope["path"].startswith("/api/v1/changes")
        services.in_flight += counted
        try:
            await self.app(scope, receive, _closing_when_draining(services, send))
        finally:
            services.in_flight -= counted


def _closing_when_draining(services: Services, send: Send) -> Send:
    async def send_closing(message: Message) -> None:
        if message["type"] == "http.response.start" and services.draining:
            headers = [(k, v) for k, v in message.get("headers", []) if k != b"connection"]
            message = {**message, "headers": [*headers, (b"connection", b"close")]}
        await send(message)

    return send_closing
