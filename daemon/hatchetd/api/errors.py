"""Every error the API returns is JSON: `{"error": {"code", "message"}}` (design §7)."""

from __future__ import annotations

import logging
from collections.abc import Collection

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from starlette.exceptions import HTTPException

from hatchetd.engine.errors import (
    EngineError,
    EventNotFound,
    IdempotencyConflict,
    RunNotFound,
)

log = logging.getLogger("hatchetd.api")


class ApiError(Exception):
    """An error with the HTTP status and the machine-readable code the client gets."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def error_response(status: int, code: str, message: str) -> JSONResponse:
    """The one shape of every error body."""
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status)


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
        parts.append(f"{where}: {error['msg']}" if where else str(error["msg"]))
    return "; ".join(parts)


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
}


def engine_status(exc: EngineError) -> tuple[int, str]:
    """The HTTP status and code for an error the engine refused a command with."""
    if isinstance(exc, EventNotFound | RunNotFound):
        return 404, "not_found"
    if isinstance(exc, IdempotencyConflict):
        return 409, "idempotency_conflict"
    return 400, "invalid_request"


def install_error_handlers(app: FastAPI) -> None:
    """Turn every failure into the JSON error shape, including FastAPI's own."""

    @app.exception_handler(ApiError)
    async def api_error(_: Request, exc: ApiError) -> JSONResponse:
        return error_response(exc.status, exc.code, exc.message)

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

    @app.exception_handler(Exception)
    async def unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error")
        return error_response(500, "internal", f"internal error: {type(exc).__name__}")
