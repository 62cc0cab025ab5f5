"""The TUI's line to the daemon: API calls from worker threads, the change stream on its own.

Textual runs the interface on an asyncio loop; the client is synchronous and not thread-safe.
So each thread that calls the API gets a `Client` of its own, and one thread follows the change
stream, reconnecting with backoff while the daemon is away, and hands what it reads to callbacks
(which post Textual messages: the only thread-safe way into the app).
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

from hatchet_cli.client import ChangesLost, Client, DaemonUnreachable, HatchetError

if TYPE_CHECKING:
    from hatchetd.contracts.changes import Change

T = TypeVar("T")

FIRST_RETRY = 0.25
LAST_RETRY = 5.0


class DaemonLink:
    """Where the daemon is, and how the TUI talks to it."""

    def __init__(self, address: str, token: str | None = None, *, timeout: float = 10.0) -> None:
        self.address = address
        self.token = token
        self.timeout = timeout
        self._local = threading.local()
        self._clients: list[Client] = []
        self._lock = threading.Lock()
        self._reader: Client | None = None
        self._closed = False

    def call(self, fn: Callable[[Client], T]) -> T:
        """`fn(client)` with this thread's client: from a worker thread, never the app's loop.

        Once the link is closed (the app is quitting) a call raises `DaemonUnreachable`, and one
        already running closes its client when it returns: a worker still reading as the app
        quits leaves no connection open behind it.
        """
        with self._lock:
            if self._closed:
                raise DaemonUnreachable(self.address, "the TUI is closing")
            client: Client | None = getattr(self._local, "client", None)
            if client is None:
                client = Client(self.address, self.token, timeout=self.timeout)
                self._local.client = client
                self._clients.append(client)
        try:
            return fn(client)
        finally:
            if self._closed:
                client.close()

    def follow(
        self,
        on_change: Callable[[Change], object],
        on_state: Callable[[bool, str], object],
        stop: threading.Event,
    ) -> None:
        """Read the change stream until `stop` is set (blocking: run it on a thread).

        `on_state(True, ...)` when subscribed (reread the state then: changes from that moment
        on will come), `on_state(False, why)` when the daemon went away or cut this reader off;
        it then retries, waiting 0.25 s doubling to 5 s between attempts.
        """
        delay = FIRST_RETRY
        while not stop.is_set():
            reader = Client(self.address, self.token, timeout=self.timeout)
            self._reader = reader
            opened = False

            def opened_now() -> None:
                nonlocal opened, delay
                opened, delay = True, FIRST_RETRY
                on_state(True, "connected")

            try:
                for change in reader.changes(on_open=opened_now):
                    if stop.is_set():
                        return
                    on_change(change)
                why = "the daemon shut down"
            except (DaemonUnreachable, HatchetError, ChangesLost) as exc:
                why = str(exc)
            finally:
                reader.close()
            if stop.is_set():
                return
            on_state(False, why)
            if not opened:
                delay = min(delay * 2, LAST_RETRY)
            stop.wait(delay * random.uniform(0.5, 1.0))  # jittered: many TUIs, one daemon

    def close(self) -> None:
        """Close every client the threads opened, and the stream's connection: a `follow`
        blocked reading it returns (set its `stop` first)."""
        with self._lock:
            self._closed = True
            clients, self._clients = self._clients, []
        if self._reader is not None:
            clients.append(self._reader)
        for client in clients:
            client.close()
