"""Reading request bodies: as a stream against the route's limit, then as JSON under the rules of
`hatchetd.contracts.json_values` (design §6 and §7: bad input is a 4xx naming the problem).

The body is read chunk by chunk and refused with 413 the moment it passes the route's limit,
whether or not it declared a Content-Length, so a 100 MB upload costs the daemon the limit, not
100 MB. `CloseUnreadBody` then closes the connection rather than letting the server read and
discard the rest of the upload to keep it alive.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import Any, TypeVar

from fastapi import Request
from pydantic import BaseModel, ValidationError
from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hatchetd.api.errors import ApiError, validation_message
from hatchetd.contracts.api import MAX_PAYLOAD_BYTES
from hatchetd.contracts.json_values import JsonProblem, NotJson, load_json

M = TypeVar("M", bound=BaseModel)

ENVELOPE_BYTES = 64 * 1024
"""Room for the key and idempotency key around a payload of the maximum size."""
_IN_A_THREAD = 256 * 1024
"""Bodies larger than this are parsed off the event loop, which keeps serving meanwhile."""


@dataclass(frozen=True)
class BodyRules:
    """How one route reads its body."""

    max_bytes: int
    """The most bytes the body may have; more is refused with 413 as soon as it arrives."""
    limit: str
    """What the limit is, in the words of the 413: `a bulk push is limited to …`."""
    envelope: int
    """How many levels of objects and arrays the body puts around the values it carries, so
    that those may nest `json_values.MAX_DEPTH` levels themselves (`{"events": [{"data": …}]}`
    is three)."""

    def too_large(self, size: str) -> ApiError:
        return ApiError(413, "payload_too_large", f"the request body is {size} bytes; {self.limit}")


async def read_body(request: Request, model: type[M], rules: BodyRules) -> tuple[M, int]:
    """The body as `model`, and its size in bytes; an `ApiError` naming what is wrong with it."""
    body = await _read_within(request, rules)
    if len(body) > _IN_A_THREAD:
        return await asyncio.to_thread(_parse, body, model, rules), len(body)
    return _parse(body, model, rules), len(body)


def check_payload_size(
    data: dict[str, Any], body_size: int, *, what: str = "the event payload"
) -> None:
    """A payload within a body no larger than the limit is within the limit; only near the limit
    is it worth measuring the payload on its own. `what` names it in the 413."""
    if body_size <= MAX_PAYLOAD_BYTES:
        return
    size = len(json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode())
    if size > MAX_PAYLOAD_BYTES:
        raise ApiError(
            413,
            "payload_too_large",
            f"{what} is {size:,} bytes; the limit is {MAX_PAYLOAD_BYTES:,} bytes (1 MiB)",
        )


async def _read_within(request: Request, rules: BodyRules) -> bytearray:
    declared = request.headers.get("content-length", "")
    # isdigit() alone passes "²"; more than 18 digits is over any limit, and too long to convert.
    if declared.isascii() and declared.isdigit():
        if len(declared) > 18:
            raise rules.too_large(f"{declared[:18]}…")
        if int(declared) > rules.max_bytes:
            raise rules.too_large(f"{int(declared):,}")
    body = bytearray()
    try:
        async for chunk in request.stream():
            body += chunk
            if len(body) > rules.max_bytes:
                raise rules.too_large(f"over {rules.max_bytes:,}")
    except ClientDisconnect:
        # Nobody reads the answer; a 400 rather than the unexpected-error 500 and its log line.
        raise ApiError(400, "incomplete_body", "the client left before sending the body") from None
    return body  # not copied into bytes: at the bulk limit that would be 16 MiB more


def _parse(body: bytearray, model: type[M], rules: BodyRules) -> M:
    try:
        document = load_json(body, envelope=rules.envelope)
    except NotJson as exc:
        raise ApiError(400, "invalid_json", f"the request body is {exc}") from None
    except JsonProblem as exc:
        raise ApiError(422, "invalid_value", exc.describe(whole="the request body")) from None
    try:
        return model.model_validate(document)
    except ValidationError as exc:
        raise ApiError(422, "invalid_request", validation_message(exc)) from None


class CloseUnreadBody:
    """Closes the connection after an answer given before the request's body was read whole.

    Left open, uvicorn would read the rest of the body and throw it away, so that the next
    request on the connection starts where it should: all 100 MB of an upload refused after its
    first megabyte. Closing is what curl and browsers expect after an early 413 (or 401, 503).
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        unread = b"transfer-encoding" in headers or headers.get(b"content-length", b"0") != b"0"

        async def receiving() -> Message:
            nonlocal unread
            message = await receive()
            if message["type"] != "http.request" or not message.get("more_body", False):
                unread = False  # the whole body, or the client is gone
            return message

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start" and unread:
                closing = [*message.get("headers", []), (b"connection", b"close")]
                message = {**message, "headers": closing}
            await send(message)

        await self.app(scope, receiving, sending)
