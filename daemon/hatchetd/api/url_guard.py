"""Refusing URLs with a NUL character: a 422 naming the parameter, before any route sees it.

A `%00` in a path or query parameter reaches the store as a bound parameter, and PostgreSQL
cannot hold a NUL in text: every lookup, filter and cursor would answer 500. One check here
covers every route, including those added later.
"""

from __future__ import annotations

from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Receive, Scope, Send

from hatchetd.api.errors import error_response
from hatchetd.contracts.json_values import text_problem


def url_problem(path: str, query: bytes) -> str | None:
    """What is wrong with a request's decoded path and raw query string, or None."""
    problem = text_problem(path)
    if problem is not None:
        return f"the URL path {problem}"
    if b"%00" not in query and b"\x00" not in query:
        return None
    # Decoded as Starlette decodes it for the routes.
    for name, value in parse_qsl(query.decode("latin-1"), keep_blank_values=True):
        problem = text_problem(name)
        if problem is not None:
            return f"a query parameter's name {problem}"
        problem = text_problem(value)
        if problem is not None:
            return f"query parameter {name}: {problem}"
    return None


class RefuseNulInUrl:
    """Answers 422 `invalid_value` to a request whose path or query holds a NUL."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            problem = url_problem(scope["path"], scope["query_string"])
            if problem is not None:
                await error_response(422, "invalid_value", problem)(scope, receive, send)
                return
        await self.app(scope, receive, send)
