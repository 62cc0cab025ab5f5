"""Every error the API returns is JSON: `{"error": {"code", "message"}}` (design §7)."""

from __future__ import annotations

import logging
from collections.abc import Collection
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from starlette.exceptions import HTTPException
from starlette.routing import Match

from hatchetd.contracts.api import NO_SPACE
from hatchetd.engine.errors import (
    EngineError,
    EventNotFound,
    IdempotencyConflict,
    NothingFailed,
    RunNotFinal,
    RunNotFound,
    WorkflowInactive,
    WorkflowNotFound,
)
from hatchetd.store.errors import StoreFull, StoreTrouble

log = logging.getLogger("hatchetd.api")


class ApiError(Exception):
    """An error with the HTTP status and the machine-readable code the client gets."""

    def __init__(
        self, status: int, code: str, message: str, *, retry_after: int | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.retry_after = retry_after


def error_response(
    status: int, code: str, message: str, *, retry_after: int | None = None
) -> JSONResponse:
    """The one shape of every error body; `retry_after` adds the `Retry-After` header."""
    headers = {"Retry-After": str(retry_after)} if retry_after is not None else None
    return JSONResponse(
        {"error": {"code": code, "message": message}}, status_code=status, headers=headers
    )


def trouble_response(trouble: StoreTrouble, retry_after: int) -> JSONResponse:
    """The answer while the database cannot do the work: 503 or 507, with `Retry-After`."""
    return error_response(
        trouble.status, trouble.code, trouble_message(trouble), retry_after=retry_after
    )


def trouble_message(trouble: StoreTrouble) -> str:
    """What the client is told: the trouble, and that nothing of its request was stored."""
    if isinstance(trouble, StoreFull):
        return f"{trouble}; free some disk space, then try again (nothing was stored)"
    return f"{trouble}; try again shortly (nothing was stored)"


def validation_message(
    exc: ValidationError | RequestValidationError, *, drop: Collection[str] = ()
) -> str:
    """Pydantic's errors as one line: `events[0].key: String should match pattern …`.

    `drop` names location parts that mean nothing to the reader (a tagged union's tag)."""
    parts = []
    skip = {"body", "query", "path", *drop}
    for error in exc.errors():
        where = ""
        for p in error["loc"]:
            if isinstance(p, int):
                where += f"[{p}]"
            elif p not in skip:
                where += f".{p}" if where else str(p)
        message = _our_words(error)
        parts.append(f"{where}: {message}" if where else str(message))
    return "; ".join(parts)


def _our_words(error: Any) -> str:
    """One pydantic error's message, in the project's words where pydantic's would puzzle:
    `String should match pattern '^[^\\x00\\t-\\r...]+$'` is `must not contain spaces`."""
    kind, context = error["type"], error.get("ctx", {})
    if kind == "value_error" and "error" in context:
        return str(context["error"])  # our own words, without "Value error, "
    if kind == "string_pattern_mismatch" and context.get("pattern") == NO_SPACE:
        return "must not contain spaces (nor other whitespace)"
    if kind == "string_too_short" and context.get("min_length") == 1:
        return "must not be empty"
    if kind == "string_too_long":
        return f"must be at most {context.get('max_length')} characters"
    if kind == "missing":
        return "is required"
    if kind == "extra_forbidden":
        return "is not a field of this request"
    return str(error["msg"])


_STATUS_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    422: "invalid_request",
    503: "unavailable",
    507: "storage_full",
}


_METHODS = ("DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT")


def allowed_methods(request: Request) -> list[str]:
    """Every method some route serves at the request's path, for a 405's `Allow` (RFC 9110).

    Starlette names only the methods of the first route whose path matched, but one path may
    be served by several routes (`GET` and `POST /api/v1/events` are two); so ask every route
    whether it would serve the path with each method.
    """
    routes = request.app.router.routes
    return [
        method
        for method in _METHODS
        if any(
            route.matches({**request.scope, "method": method})[0] is Match.FULL for route in routes
        )
    ]


def engine_status(exc: EngineError) -> tuple[int, str]:
    """The HTTP status and code for an error the engine refused a command with."""
    if isinstance(exc, EventNotFound | RunNotFound | WorkflowNotFound):
        return 404, "not_found"
    if isinstance(exc, IdempotencyConflict):
        return 409, "idempotency_conflict"
    if isinstance(exc, WorkflowInactive):
        return 409, "workflow_inactive"
    if isinstance(exc, RunNotFinal):
        return 409, "run_not_final"
    if isinstance(exc, NothingFailed):
        return 409, "nothing_failed"
    return 400, "invalid_request"


def install_error_handlers(app: FastAPI) -> None:
    """Turn every failure into the JSON error shape, including FastAPI's own."""

    @app.exception_handler(ApiError)
    async def api_error(_: Request, exc: ApiError) -> JSONResponse:
        return error_response(exc.status, exc.code, exc.message, retry_after=exc.retry_after)

    @app.exception_handler(EngineError)
    async def engine_error(_: Request, exc: EngineError) -> JSONResponse:
        status, code = engine_status(exc)
        return error_response(status, code, str(exc))

    @app.exception_handler(RequestValidationError)
    async def request_invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        return error_response(422, "invalid_request", validation_message(exc))

    @app.exception_handler(HTTPException)
    async def http_error(_: Request, exc: HTTPException) -> JSONResponse:
        code = _STATUS_CODES.get(exc.status_code, "error")
        return error_response(exc.status_code, code, str(exc.detail))

    @app.exception_handler(405)
    async def method_not_allowed(request: Request, _: Exception) -> JSONResponse:
        # Starlette prefers this to the HTTPException handler: a 405 says what is allowed.
        allowed = ", ".join(allowed_methods(request))
        response = error_response(
            405, "method_not_allowed", f"{request.method} is not allowed here; use {allowed}"
        )
        response.headers["Allow"] = allowed
        return response

    @app.exception_handler(StoreTrouble)
    async def store_trouble(request: Request, exc: StoreTrouble) -> JSONResponse:
        services = getattr(request.app.state, "services", None)
        retry_after = services.runtime.outage.retry_after() if services is not None else 1
        return trouble_response(exc, retry_after)

    @app.exception_handler(Exception)
    async def unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error")
        return error_response(500, "internal", f"internal error: {type(exc).__name__}")
