"""A load of pushes that keeps a log of what every client was told, for the history checker.

Each client pushes its share of events, each with its own idempotency key, and retries a push
(same key, same data) until the daemon acknowledges it or the deadline passes — through refused
connections, resets and 503s, as a careful client would across a daemon crash. Every attempt is
one JSON line in the log: what was sent and what came back.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx


@dataclass(frozen=True)
class Attempt:
    """One try at one push, as the client saw it."""

    client: int
    key: str
    """The idempotency key (one per event the client means to push)."""
    data: dict[str, Any]
    outcome: str
    """`acked` (201 or 200), `http_<status>`, or the transport error's name."""
    event_id: str | None = None
    """The event the daemon acknowledged, for `acked`."""


class PushLoad:
    """`clients` threads pushing `per_client` events each to the daemon at `address()` (read
    before every attempt: a restarted daemon may come back elsewhere), logging to `log_path`."""

    def __init__(
        self,
        address: Any,
        log_path: Path,
        *,
        clients: int = 4,
        per_client: int = 50,
        event_key: str = "load:push",
        deadline: float = 90.0,
    ) -> None:
        self._address = address
        self._log_path = log_path
        self._clients = clients
        self._per_client = per_client
        self._event_key = event_key
        self._deadline = deadline
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self.acked = 0
        """Events acknowledged so far."""

    def start(self) -> None:
        self._log_path.write_text("")
        for n in range(self._clients):
            thread = threading.Thread(target=self._client, args=(n,), name=f"load-{n}")
            thread.start()
            self._threads.append(thread)

    def join(self) -> None:
        for thread in self._threads:
            thread.join()

    def _client(self, n: int) -> None:
        stop_at = time.monotonic() + self._deadline
        with httpx.Client(timeout=10) as client:
            for i in range(self._per_client):
                key = f"c{n}-{i}-{uuid.uuid4().hex[:8]}"
                data = {"client": n, "i": i, "nested": {"b": [1, 2.5, "x"], "a": None}}
                while time.monotonic() < stop_at:
                    attempt = self._push(client, n, key, data)
                    self._log(attempt)
                    if attempt.outcome == "acked":
                        with self._lock:
                            self.acked += 1
                        break
                    time.sleep(0.05)

    def _push(self, client: httpx.Client, n: int, key: str, data: dict[str, Any]) -> Attempt:
        body = {"key": self._event_key, "data": data, "idempotency_key": key}
        try:
            response = client.post(f"{self._address()}/api/v1/events", json=body)
        except httpx.TransportError as exc:
            return Attempt(n, key, data, type(exc).__name__)
        if response.status_code in (200, 201):
            return Attempt(n, key, data, "acked", response.json()["id"])
        return Attempt(n, key, data, f"http_{response.status_code}")

    def _log(self, attempt: Attempt) -> None:
        line = json.dumps(attempt.__dict__, separators=(",", ":")) + "\n"
        with self._lock, self._log_path.open("a") as f:
            f.write(line)


def read_log(path: Path) -> list[Attempt]:
    """The attempts a `PushLoad` logged, in order."""
    return [Attempt(**json.loads(line)) for line in path.read_text().splitlines() if line]
