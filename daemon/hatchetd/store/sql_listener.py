"""Hearing the other daemons: a thread that LISTENs on the schema's channel (PostgreSQL).

PostgreSQL delivers each committed transaction's notifications once, in commit order, to every
session listening at the time. A session that was not listening (not yet connected, or
reconnecting after the database went away) misses them for good, so every (re)connection is
reported as `None`: "read the store again" — the engine's poll covers the gap.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine

from hatchetd.store.sql_connect import channel, dedicated_connection, schema_of

log = logging.getLogger("hatchetd.store")

_RETRY_S = 1.0
"""Seconds between attempts to reconnect."""
_POLL_S = 0.5
"""How often the thread looks up from waiting to see whether it should stop."""


class SqlListener:
    """Delivers other daemons' notifications to a callback, on a thread of its own."""

    def __init__(self, engine: Engine, on_payload: Callable[[str | None], None]) -> None:
        self._engine = engine
        self._on_payload = on_payload
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="hatchetd-listener", daemon=True)
        self._conn: Any = None

    def start(self) -> None:
        """Start listening (returns at once)."""
        self._thread.start()

    def stop(self) -> None:
        """Stop listening and close the connection."""
        self._stopping.set()
        self._thread.join(timeout=2 * _POLL_S + 1)

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                self._listen()
            except Exception as exc:
                if self._stopping.is_set():
                    break
                log.warning("listening for other daemons failed (%s); reconnecting", exc)
                self._stopping.wait(_RETRY_S)
            finally:
                self._close()

    def _listen(self) -> None:
        self._conn = dedicated_connection(self._engine)
        name = channel(schema_of(self._conn))
        quoted = '"' + name.replace('"', '""') + '"'
        self._conn.execute(f"LISTEN {quoted}")
        self._on_payload(None)  # anything committed before now was not heard: read again
        while not self._stopping.is_set():
            for notify in self._conn.notifies(timeout=_POLL_S):
                self._on_payload(notify.payload)
                if self._stopping.is_set():
                    return

    def _close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                conn.close()
            except Exception:  # closing a broken connection may fail; it is gone either way
                log.debug("closing the listener's connection failed", exc_info=True)
