"""Bearer-token auth, on when HATCHET_TOKEN is set (required beyond loopback, design §7)."""

from __future__ import annotations

import hmac

from fastapi import Request, WebSocket
from fastapi.responses import JSONResponse
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint
from starlette.responses import Response

from hatchetd.api.errors import error_response

OPEN_PATHS = frozenset({"/livez", "/readyz"})
"""Probes stay open so an orchestrator can check the daemon without the token."""


def _matches(header: str | None, token: str) -> bool:
    if header is None:
        return False
    # RFC 7235: the scheme is case-insensitive (`bearer` and `BEARER` are `Bearer`) and one or
    # more spaces separate it from the credentials.
    scheme, _, credentials = header.partition(" ")
    if scheme.lower() != "bearer":
        return False
    # Constant-time comparison: the token guards a daemon reachable over the network.
    return hmac.compare_digest(credentials.lstrip(" ").encode(), token.encode())


def socket_authorised(socket: WebSocket, token: str | None) -> bool:
    """True when no token is configured or the socket's request carries it."""
    return token is None or _matches(socket.headers.get("authorization"), token)


class BearerAuth(BaseHTTPMiddleware):
    """Refuses HTTP requests without the token with a JSON 401."""

    def __init__(self, app: object, token: str) -> None:
        super().__init__(app)  # type: ignore[arg-type]
        self._token = token

    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        if request.url.path in OPEN_PATHS or _matches(
            request.headers.get("authorization"), self._token
        ):
            return await call_next(request)
        response: JSONResponse = error_response(
            401,
            "unauthorized",
            "missing or wrong bearer token: send Authorization: Bearer <HATCHET_TOKEN>",
        )
        response.headers["WWW-Authenticate"] = "Bearer"
        return response
