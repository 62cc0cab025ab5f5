"""Connecting to SQLite and PostgreSQL, and how a write transaction begins on each.

SQLite: WAL, `synchronous=FULL`, a 5 s busy timeout, `BEGIN IMMEDIATE` for writers and one
write lock per file in the process. PostgreSQL: psycopg 3 with a connect timeout, TCP keepalives
and a TCP user timeout. Both: driver errors that mean "not now" become `StoreTrouble`.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any

from sqlalchemy import URL, Connection, Engine, create_engine, event, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError

from hatchetd.store import sql_trouble
from hatchetd.store.errors import StoreUnavailable, UnsupportedDatabase

SUPPORTED = (
    "sqlite:///path/to/file.db, or postgresql://user:password@host:5432/database "
    "(also written postgres:// or postgresql+psycopg://)"
)

# Set on connections that will write, so the SQLite `begin` hook takes the write lock up front.
_WRITE = "hatchet_write"
_BUSY_TIMEOUT_S = 5
_LOCKS_GUARD = threading.Lock()
_SQLITE_WRITE_LOCKS: dict[str, threading.RLock] = {}


def parse_url(url: str) -> URL:
    """The SQLAlchemy URL for a database URL a user gave, or `UnsupportedDatabase`."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        # Not echoed: a malformed URL may still hold a password.
        raise UnsupportedDatabase(f"cannot read the database URL; use {SUPPORTED}") from None
    backend, _, driver = parsed.drivername.partition("+")
    if backend == "sqlite" and driver in ("", "pysqlite"):
        if parsed.database in (None, "", ":memory:"):
            # Each pooled connection would get its own empty in-memory database.
            raise UnsupportedDatabase(
                "an in-memory SQLite database cannot be shared between connections; "
                f"use {SUPPORTED}"
            )
        return parsed.set(drivername="sqlite+pysqlite")
    if backend in ("postgresql", "postgres") and driver in ("", "psycopg"):
        return parsed.set(drivername="postgresql+psycopg")
    raise UnsupportedDatabase(f"unsupported database URL {masked(parsed)}; use {SUPPORTED}")


def masked(url: URL) -> str:
    """The URL as text with its password replaced by `***`."""
    return url.render_as_string(hide_password=True)


def unavailable(url: URL, exc: BaseException) -> StoreUnavailable:
    """A one-line `StoreUnavailable` naming the database and the driver's reason."""
    cause = exc.orig if isinstance(exc, DBAPIError) and exc.orig is not None else exc
    reason = " ".join(str(cause).split()) or type(cause).__name__
    return StoreUnavailable(f"cannot open the database {masked(url)}: {reason}")


def make_engine(url: URL) -> Engine:
    """An engine for a URL from `parse_url`, set up for this store's use of its database.

    Connects lazily; raises `OSError` only when the SQLite file's folder cannot be made.
    """
    engine = _sqlite_engine(url) if url.get_backend_name() == "sqlite" else _pg_engine(url)
    sql_trouble.install(engine)
    return engine


_PG_CONNECT_ARGS: dict[str, Any] = {
    # An unreachable host fails instead of hanging.
    "connect_timeout": 5,
    # A connection whose peer vanished without a word (a dropped path, a frozen host) fails in
    # seconds rather than after the kernel's retransmissions give up (~15 minutes): the engine
    # thread would otherwise sit in a statement that can never finish.
    "keepalives": 1,
    "keepalives_idle": 5,
    "keepalives_interval": 2,
    "keepalives_count": 3,
    "tcp_user_timeout": 15_000,
}


def _pg_engine(url: URL) -> Engine:
    connect_args = {k: v for k, v in _PG_CONNECT_ARGS.items() if k not in url.query}
    return create_engine(
        url, pool_size=5, max_overflow=5, pool_pre_ping=True, connect_args=connect_args
    )


def _sqlite_engine(url: URL) -> Engine:
    assert url.database is not None
    Path(url.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(
        url,
        # The store is shared by the daemon's threads; the pool hands each its own connection.
        connect_args={"check_same_thread": False, "timeout": _BUSY_TIMEOUT_S},
        pool_size=8,
        max_overflow=24,
    )
    event.listen(engine, "connect", _sqlite_connect)
    event.listen(engine, "begin", _sqlite_begin)
    return engine


def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    # pysqlite's own transaction handling skips BEGIN for SELECT and SAVEPOINT; take it over
    # (SQLAlchemy's documented recipe) so reads see one snapshot and savepoints nest properly.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(f"PRAGMA busy_timeout = {_BUSY_TIMEOUT_S * 1000}")
        _use_wal(cursor)  # readers never block the writer
        # FULL: an acknowledged push survives a power cut, not only a crash (design §6).
        cursor.execute("PRAGMA synchronous = FULL")
        cursor.execute("PRAGMA foreign_keys = ON")
    finally:
        cursor.close()


def _use_wal(cursor: Any) -> None:
    """Switch the file to WAL unless it is already (the mode is stored in the file).

    Switching needs the file to itself and SQLite answers "database is locked" at once, without
    the busy handler, while another connection is opening it: several processes opening a new
    database together must wait their turn here rather than fail.
    """
    deadline = time.monotonic() + _BUSY_TIMEOUT_S
    while True:
        try:
            if cursor.execute("PRAGMA journal_mode").fetchone()[0] == "wal":
                return
            cursor.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.01)


def _sqlite_begin(connection: Connection) -> None:
    # IMMEDIATE takes the write lock at BEGIN: a deferred transaction that later writes can
    # fail with "database is locked" without waiting for the busy timeout.
    write = connection.get_execution_options().get(_WRITE, False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


def sqlite_write_lock(engine: Engine) -> threading.RLock | None:
    """The process-wide lock that serialises writers of one SQLite file; None on PostgreSQL.

    SQLite allows one writer at a time anyway; queueing them on a lock in the process is
    cheaper and fairer than letting them spin on SQLITE_BUSY.
    """
    if engine.dialect.name != "sqlite" or engine.url.database is None:
        return None
    path = os.path.realpath(engine.url.database)
    with _LOCKS_GUARD:
        return _SQLITE_WRITE_LOCKS.setdefault(path, threading.RLock())


@contextmanager
def write_transaction(engine: Engine, lock: threading.RLock | None) -> Iterator[Connection]:
    """A connection in a write transaction that commits when the block ends without error."""
    with lock or nullcontext(), engine.connect() as conn:
        conn.execution_options(**{_WRITE: True})
        with conn.begin():
            yield conn


def dedicated_connection(engine: Engine) -> Any:
    """A psycopg connection of its own, in autocommit, with the engine's settings (keepalives,
    timeouts, `search_path`): for a LISTEN or a session lock, which must outlive any pooled
    checkout. PostgreSQL only."""
    import psycopg

    args, params = engine.dialect.create_connect_args(engine.url)
    for key, value in _PG_CONNECT_ARGS.items():
        params.setdefault(key, value)
    try:
        return psycopg.connect(*args, **params, autocommit=True)
    except psycopg.Error as exc:
        trouble = sql_trouble.classify(exc)
        raise (trouble or exc) from exc


def channel(schema: str) -> str:
    """The NOTIFY channel and advisory-lock key of the daemons serving `schema`: daemons on
    other schemas of the same database are other deployments and hear nothing of these."""
    return f"hatchet:{schema}"


def schema_of(conn: Any) -> str:
    """The schema a dedicated connection works in."""
    return str(conn.execute("SELECT current_schema()").fetchone()[0])
