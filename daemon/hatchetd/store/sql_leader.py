"""Leadership: which daemon runs the store-wide chores (deadlines, cron, lost workers).

On PostgreSQL the leader is whoever holds a session-level advisory lock, keyed by the schema, on
a connection of its own. The lock dies with the connection — a daemon killed with -9, a
connection cut — so another daemon takes over at its next try (every tick). Leadership only
avoids doing the same work N times: every chore is safe to run twice (guarded updates under run
locks, the unique cron tick), so two leaders for a moment cost nothing but work.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from sqlalchemy import Engine

from hatchetd.store.sql_connect import channel, dedicated_connection, schema_of

log = logging.getLogger("hatchetd.store")

CHECK_S = 2.0
"""Seconds between checks that a leader's lock connection is still alive."""
RETRY_S = 0.5
"""Seconds between a follower's attempts to take the lock."""


class SoleLeader:
    """A store only one daemon serves (SQLite): it always leads."""

    def try_lead(self) -> bool:
        return True

    def close(self) -> None:
        return None


class SqlLeader:
    """The advisory-lock leadership of a PostgreSQL schema."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._conn: Any = None
        self._key = ""
        self._leading = False
        self._next_try = 0.0

    def try_lead(self) -> bool:
        now = time.monotonic()
        if now < self._next_try:
            return self._leading
        try:
            if self._conn is None:
                self._conn = dedicated_connection(self._engine)
                self._key = "leader:" + channel(schema_of(self._conn))
            if self._leading:
                self._conn.execute("SELECT 1")  # the lock lives exactly as long as this session
                self._next_try = now + CHECK_S
            else:
                row = self._conn.execute(
                    "SELECT pg_try_advisory_lock(hashtext(%s))", (self._key,)
                ).fetchone()
                self._leading = bool(row and row[0])
                self._next_try = now + (CHECK_S if self._leading else RETRY_S)
                if self._leading:
                    log.info("this daemon now leads: it runs cron, deadlines and lost workers")
        except Exception as exc:
            if self._leading:
                log.warning("lost the leadership: %s", exc)
            self._leading = False
            self._drop()
            self._next_try = now + RETRY_S
        return self._leading

    def close(self) -> None:
        self._leading = False
        self._drop()

    def _drop(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                conn.close()
            except Exception:
                log.debug("closing the leader's connection failed", exc_info=True)
