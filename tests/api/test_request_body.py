"""`read_body` reads a body as a stream, chunk by chunk, and stops at the route's limit.

An app with one route over a small limit, driven through httpx's ASGI transport, which hands the
body to the app one chunk at a time, as uvicorn does: the test counts the chunks the app pulled.
tests/reliability/test_chunked_upload.py does the same with 100 MB against a real daemon.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI, Request
from pydantic import BaseModel

from hatchetd.api.body import BodyRules, CloseUnreadBody, read_body
from hatchetd.api.errors import install_error_handlers

RULES = BodyRules(max_bytes=1000, limit="a test body is limited to 1,000 bytes", envelope=0)
CHUNK = b" " * 100


class Note(BaseModel):
    text: str


def small_app() -> FastAPI:
    app = FastAPI()
    install_error_handlers(app)
    app.add_middleware(CloseUnreadBody)

    @app.post("/notes")
    async def add_note(request: Request) -> dict[str, object]:
        note, size = await read_body(request, Note, RULES)
        return {"text": note.text, "size": size}

    return app


class Body:
    """`head`, then spaces in chunks of 100 bytes up to `size`, then `tail`; counts the chunks
    the app asked for."""

    def __init__(self, size: int, head: bytes = b'{"text":"a"', tail: bytes = b"}") -> None:
        self.size, self.head, self.tail = size, head, tail
        self.pulled = 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        self.pulled += 1
        yield self.head
        for _ in range((self.size - len(self.head) - len(self.tail)) // len(CHUNK)):
            self.pulled += 1
            yield CHUNK
        self.pulled += 1
        yield self.tail


def post(body: Body, headers: dict[str, str] | None = None) -> httpx.Response:
    async def send() -> httpx.Response:
        transport = httpx.ASGITransport(app=small_app())
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            return await client.post("/notes", content=body, headers=headers)

    return asyncio.run(send())


def test_a_body_within_the_limit_is_read_whole_however_it_is_chunked() -> None:
    body = Body(size=912)

    response = post(body)

    assert response.json() == {"text": "a", "size": 912}
    assert body.pulled == 11
    assert "connection" not in response.headers  # the connection may serve the next request


def test_a_chunked_body_is_refused_as_soon_as_it_passes_the_limit() -> None:
    body = Body(size=1_000_000)

    response = post(body)

    assert response.status_code == 413
    assert response.json()["error"] == {
        "code": "payload_too_large",
        "message": "the request body is over 1,000 bytes; a test body is limited to 1,000 bytes",
    }
    assert body.pulled == 11  # the head and ten chunks of 100: 1,011 bytes
    assert response.headers["connection"] == "close"


def test_a_declared_length_over_the_limit_is_refused_before_reading_any_of_it() -> None:
    body = Body(size=1_000_000)

    response = post(body, headers={"content-length": "1000000"})

    assert response.status_code == 413
    assert response.json()["error"]["message"] == (
        "the request body is 1,000,000 bytes; a test body is limited to 1,000 bytes"
    )
    assert body.pulled == 0
    assert response.headers["connection"] == "close"


@pytest.mark.parametrize(
    ("declared", "size"),
    [("9" * 5000, "999999999999999999…"), ("1000001", "1,000,001")],
)
def test_a_declared_length_of_any_size_is_read_as_a_size(declared: str, size: str) -> None:
    async def send() -> httpx.Response:
        app = small_app()
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            request = client.build_request("POST", "/notes", content=b"{}")
            request.headers["content-length"] = declared
            return await client.send(request)

    response = asyncio.run(send())

    assert response.status_code == 413
    assert response.json()["error"]["message"].startswith(f"the request body is {size} bytes;")


@pytest.mark.parametrize(
    ("head", "status", "message"),
    [
        (b'{"text":"\\u0000"', 422, "text: contains a NUL character (\\u0000)"),
        (b'{"text":"a",', 400, "the request body is not valid JSON: Expecting property name "
         "enclosed in double quotes at line 1 column 813"),
        (b'{"text":1', 422, "text: Input should be a valid string"),
    ],
)  # fmt: skip
def test_a_body_read_whole_is_then_checked_as_json(head: bytes, status: int, message: str) -> None:
    response = post(Body(size=912, head=head))

    assert (response.status_code, response.json()["error"]["message"]) == (status, message)
    assert "connection" not in response.headers
