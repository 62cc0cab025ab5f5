"""A body far over the limit is refused as it streams in, not after it was read (issue 10,
item 7; docs/guarantees.md reports the figures).

A 100 MB upload without Content-Length used to be read whole into memory before the 1 MiB check
(the daemon grew by 140 MB; three at once, by 357 MB). Now the body is read chunk by chunk
against the route's limit: the daemon answers 413 as soon as the limit is passed and closes the
connection instead of reading the rest.
"""

from __future__ import annotations

import select
import socket
import threading
from collections.abc import Iterator
from urllib.parse import urlsplit

import httpx
from acceptance_support import Daemon
from reliability_support import peak_rss_kib

UPLOAD_BYTES = 100 * 1024 * 1024
CHUNK = b"x" * 65536
SINGLE_LIMIT = "an event's payload is limited to 1,048,576 bytes (1 MiB)"
MAX_GROWTH_KIB = 10 * 1024


class Upload:
    """A chunked JSON body of exactly 100 MB, counting what the client managed to send."""

    def __init__(self) -> None:
        self.sent = 0

    def __iter__(self) -> Iterator[bytes]:
        head, tail = b'{"key":"big:upload","data":{"blob":"', b'"}}'
        yield self._count(head)
        filler = UPLOAD_BYTES - len(head) - len(tail)
        while filler > 0:
            chunk = CHUNK[:filler]
            filler -= len(chunk)
            yield self._count(chunk)
        yield self._count(tail)

    def _count(self, chunk: bytes) -> bytes:
        self.sent += len(chunk)
        return chunk


def warm_up(daemon: Daemon) -> None:
    """One of each request the test makes, so first-use allocations are in the baseline."""
    with daemon.http as client:
        assert client.post("/api/v1/events", json={"key": "warm:up", "data": {}}).status_code == 201
        small = client.post("/api/v1/events", content=iter([b'{"key":"warm:up",', b'"data":{}}']))
        assert small.status_code == 201, small.text


def upload(daemon: Daemon) -> tuple[httpx.Response, int]:
    body = Upload()
    with httpx.Client(base_url=daemon.address, timeout=60) as client:
        response = client.post(
            "/api/v1/events", content=body, headers={"content-type": "application/json"}
        )
        # The same client goes on: the refused connection was closed, so it opens a new one.
        after = client.post("/api/v1/events", json={"key": "after:upload", "data": {"n": 1}})
        assert after.status_code == 201, after.text
    return response, body.sent


def test_a_100_mb_chunked_upload_is_refused_without_reading_it(daemon: Daemon) -> None:
    warm_up(daemon)
    before = peak_rss_kib(daemon.process.pid)

    response, sent = upload(daemon)

    growth = peak_rss_kib(daemon.process.pid) - before
    print(f"\n100 MB chunked upload: 413 after {sent / 2**20:.1f} MiB sent; peak RSS +{growth} KiB")
    assert response.status_code == 413
    error = response.json()["error"]
    assert error["code"] == "payload_too_large"
    assert error["message"] == f"the request body is over 1,114,112 bytes; {SINGLE_LIMIT}"
    assert response.headers["connection"] == "close"
    assert growth < MAX_GROWTH_KIB
    # The client could send only what fits in the socket buffers after the daemon stopped reading.
    assert sent < 32 * 1024 * 1024
    assert daemon.get("/api/v1/events", key="big:upload")["items"] == []


def test_three_uploads_at_once_are_refused_without_reading_them(daemon: Daemon) -> None:
    warm_up(daemon)
    before = peak_rss_kib(daemon.process.pid)
    results: list[tuple[httpx.Response, int]] = []
    threads = [threading.Thread(target=lambda: results.append(upload(daemon))) for _ in range(3)]

    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    growth = peak_rss_kib(daemon.process.pid) - before
    print(f"\nthree 100 MB chunked uploads at once: peak RSS +{growth} KiB")
    assert sorted(response.status_code for response, _ in results) == [413, 413, 413]
    assert growth < MAX_GROWTH_KIB


def test_a_declared_length_over_the_limit_is_refused_before_the_body(daemon: Daemon) -> None:
    with daemon.http as client:
        response = client.post(
            "/api/v1/events/bulk",
            content=Upload(),
            headers={"content-type": "application/json", "content-length": str(UPLOAD_BYTES)},
        )

    assert response.status_code == 413
    assert response.json()["error"]["message"] == (
        "the request body is 104,857,600 bytes; a bulk push is limited to 16,777,216 bytes "
        "(16 MiB): push fewer events at a time"
    )


def read_to_the_end(sock: socket.socket) -> bytes:
    """Everything the daemon sent before it closed the connection.

    It closes with the rest of the upload unread, so the kernel ends the connection with a
    reset rather than a FIN; what arrived before the reset is still there to read."""
    answer = b""
    try:
        while chunk := sock.recv(65536):
            answer += chunk
    except ConnectionResetError:
        pass
    return answer


def test_a_client_that_reads_the_early_answer_can_go_on_with_a_new_connection(
    daemon: Daemon,
) -> None:
    """As curl does: send the body while watching for an early answer, and stop when one comes.
    The answer is whole, the connection is closed after it (the rest of the body is not read as a
    next request), and a new connection is served."""
    address = urlsplit(daemon.address)
    host, port = address.hostname or "127.0.0.1", address.port or 80
    head = (
        f"POST /api/v1/events HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
        "Transfer-Encoding: chunked\r\n\r\n"
    ).encode()
    sent = 0
    with socket.create_connection((host, port), timeout=30) as sock:
        sock.sendall(head + b"%x\r\n%s\r\n" % (5, b'{"a":'))
        while sent < UPLOAD_BYTES:
            readable, _, _ = select.select([sock], [], [], 0)
            if readable:
                break
            try:
                sock.sendall(b"%x\r\n%s\r\n" % (len(CHUNK), CHUNK))
            except OSError:  # closed by the daemon: its answer is waiting to be read
                break
            sent += len(CHUNK)
        answer = read_to_the_end(sock)

    status, _, rest = answer.partition(b"\r\n")
    headers, _, body = rest.partition(b"\r\n\r\n")
    assert status.startswith(b"HTTP/1.1 413 "), status
    assert b"connection: close" in headers.lower()
    assert b'"code":"payload_too_large"' in body
    assert sent < 32 * 1024 * 1024
    with daemon.http as client:
        assert client.get("/livez").status_code == 200
