"""Reading JSON request bodies with the limits and messages of design §6."""

from __future__ import annotations

import json
from typing import TypeVar

from fastapi import Request
from pydantic import BaseModel, ValidationError

from hatchetd.api.errors import ApiError, validation_message
from hatchetd.contracts.api import MAX_PAYLOAD_BYTES

M = TypeVar("M", bound=BaseModel)

ENVELOPE_BYTES = 64 * 1024
"""Room for the key and idempotency key around a payload of the maximum size."""


def too_large(size: int, limit: int = MAX_PAYLOAD_BYTES) -> ApiError:
    return ApiError(
        413,
        "payload_too_large",
        f"the event payload is {size:,} bytes; the limit is {limit:,} bytes (1 MiB)",
    )


async def read_body(request: Request, model: type[M], *, max_bytes: int) -> M:
    """Parse the body as `model`, refusing what is too big before reading it whole."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > max_bytes:
        raise too_large(int(declared), max_bytes - ENVELOPE_BYTES)
    body = await request.body()
    if len(body) > max_bytes:
        raise too_large(len(body), max_bytes - ENVELOPE_BYTES)
    try:
        return model.model_validate_json(body)
    except ValidationError as exc:
        if any(e["type"] == "json_invalid" for e in exc.errors()):
            raise ApiError(400, "invalid_json", _json_problem(body)) from None
        raise ApiError(422, "invalid_request", validation_message(exc)) from None


def check_payload_size(data: dict[str, object], body_size: int) -> None:
    """A payload within a body no larger than the limit is within the limit; only near the limit
    is it worth measuring the payload on its own."""
    if body_size <= MAX_PAYLOAD_BYTES:
        return
    size = len(json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode())
    if size > MAX_PAYLOAD_BYTES:
        raise too_large(size)


def _json_problem(body: bytes) -> str:
    try:
        json.loads(body)
    except json.JSONDecodeError as exc:
        return (
            f"the request body is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        )
    except UnicodeDecodeError:
        return "the request body is not UTF-8 JSON"
    return "the request body is not valid JSON"
