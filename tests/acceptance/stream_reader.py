"""Reading `GET /api/v1/changes` as a client does, for the change-stream tests."""

from __future__ import annotations

import json
import queue
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
from acceptance_support import Daemon


@contextmanager
def listening(daemon: Daemon, **params: Any) -> Iterator[queue.Queue[tuple[str, Any]]]:
    """Read `GET /api/v1/changes` in a thread; yields a queue of (event name, data)."""
    received: queue.Queue[tuple[str, Any]] = queue.Queue()
    subscribed = threading.Event()
    client = httpx.Client(base_url=daemon.address, timeout=httpx.Timeout(5.0, read=None))

    closing = threading.Event()

    def read() -> None:
        try:
            listen()
        except (httpx.HTTPError, RuntimeError, ValueError):
            if not closing.is_set():  # an error while we still listen is the test's failure
                raise

    def listen() -> None:
        name = "message"
        with client.stream("GET", "/api/v1/changes", params=params) as response:
            assert response.status_code == 200
            assert response.headers["content-type"].startswith("text/event-stream")
            for line in response.iter_lines():
                if line.startswith(": subscribed"):
                    subscribed.set()
                elif line.startswith("event: "):
                    name = line.removeprefix("event: ")
                elif line.startswith("data: "):
                    received.put((name, json.loads(line.removeprefix("data: "))))
                    if name in ("end", "lagged"):
                        return

    thread = threading.Thread(target=read, daemon=True)
    thread.start()
    assert subscribed.wait(10), "the stream did not open"
    try:
        yield received
    finally:
        closing.set()
        client.close()
        thread.join(5)


def take_until(received: queue.Queue[tuple[str, Any]], done: Any) -> list[dict[str, Any]]:
    """Changes until `done(change)` is true for one (included); fails after 15 s of silence."""
    changes: list[dict[str, Any]] = []
    while True:
        name, data = received.get(timeout=15)
        assert name == "change", (name, data)
        changes.append(data)
        if done(data):
            return changes
