"""Connecting, transactions and paging: what every part of `SqlStore` shares.

One implementation serves SQLite and PostgreSQL; the differences live here (how to connect,
how a write transaction begins) and in the few dialect-specific statements of the parts.
"""

from __future__ import annotations

import functools
import os
import re
import sqlite3
import threading
import time
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager, nullcontext
from contextvars import ContextVar
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel
from sqlalchemy import (
    URL,
    ColumnElement,
    Connection,
    Engine,
    Select,
    Table,
    and_,
    bindparam,
    create_engine,
    event,
    make_url,
    or_,
    select,
    update,
)
from sqlalchemy.exc import ArgumentError, DBAPIError

from hatchetd.contracts.paging import CURSOR_PATTERN
from hatchetd.store import sql_trouble
from hatchetd.store.errors import StoreUnavailable, UnsupportedDatabase
from hatchetd.store.protocol import Written
from hatchetd.store.sql_prepared import Prepared

SUPPORTED = (
    "sqlite:///path/to/file.db, or postgresql://user:password@host:5432/database "
    "(also written postgres:// or postgresql+psycopg://)"
)

# Set on connections that will write, so the SQLite `begin` hook takes the write lock up front.
_WRITE = "hatchet_write"
_BUSY_TIMEOUT_S = 5
R = TypeVar("R", bound=Mapping[Any, Any])
_LOCKS_GUARD = threading.Lock()
_SQLITE_WRITE_LOCKS: dict[str, threading.RLock] = {}


# -- connecting -----------------------------------------------------------------------------------


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


# -- paging ---------------------------------------------------------------------------------------

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
_CURSOR = re.compile(CURSOR_PATTERN)  # fullmatch: `$` alone would allow a final newline


def encode_cursor(created_at: datetime, row_id: str) -> str:
    """The position after a row in a newest-first listing (its shape: `CURSOR_PATTERN`)."""
    return f"{(created_at - _EPOCH) // _MICROSECOND}_{row_id}"


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    """The (created_at, id) a cursor from `encode_cursor` holds; ValueError if it is not one.

    Every text of the documented shape decodes: 16 digits of microseconds end in 2286, within
    what a datetime holds, so a well-formed cursor is never refused."""
    match = _CURSOR.fullmatch(cursor)
    if match is None:
        raise ValueError(
            f"invalid cursor {cursor!r}: pass the next_cursor of the previous page unchanged"
        )
    return _EPOCH + int(match[1]) * _MICROSECOND, match[2]


def older_than(table: Table, cursor: str) -> ColumnElement[bool]:
    """Rows after `cursor` in (created_at, id) descending order.

    Written as a range on created_at plus a tie-break rather than a row-value comparison so
    that both SQLite and PostgreSQL seek the (…, created_at, id) indexes.
    """
    created_at, row_id = decode_cursor(cursor)
    return and_(
        table.c.created_at <= created_at,
        or_(table.c.created_at < created_at, table.c.id < row_id),
    )


def newest_first(stmt: Select[Any], table: Table, limit: int) -> Select[Any]:
    """One page plus one row, which tells whether another page follows."""
    return stmt.order_by(table.c.created_at.desc(), table.c.id.desc()).limit(limit + 1)


def id_prefix(table: Table, prefix: str) -> ColumnElement[bool]:
    """Ids starting with `prefix`, as a primary-key range (ids are ASCII, compared bytewise)."""
    return and_(table.c.id >= prefix, table.c.id < prefix + "\U0010ffff")


# -- guarded updates ------------------------------------------------------------------------------


def _guard(table: Table, statuses: int, by_attempt: bool) -> list[ColumnElement[bool]]:
    # One plain parameter per status rather than an expanding IN: an expanding parameter is
    # re-rendered into the SQL text on every execution, which costs more than the UPDATE.
    where = [table.c.id == bindparam("where_id", type_=table.c.id.type)]
    if statuses:
        status_type = table.c.status.type
        where.append(
            table.c.status.in_(
                [bindparam(f"where_status_{i}", type_=status_type) for i in range(statuses)]
            )
        )
    if by_attempt:
        where.append(table.c.attempt == bindparam("where_attempt", type_=table.c.attempt.type))
    return where


# Keyed by table name rather than by the Table and its columns: hashing eighteen Column objects
# on every update costs as much as the cache saves. Each table always returns the same columns.
_GUARDED: dict[tuple[str, tuple[str, ...], int, bool], Prepared] = {}


def guarded_update(
    table: Table,
    returning: tuple[ColumnElement[Any], ...],
    fields: tuple[str, ...],
    statuses: int,
    by_attempt: bool,
) -> Prepared:
    """`UPDATE … SET fields WHERE id AND status IN (…) AND attempt … RETURNING`, built once per
    shape. Values arrive as `set_<field>`, `where_id`, `where_status_<i>`, `where_attempt`."""
    key = (table.name, fields, statuses, by_attempt)
    prepared = _GUARDED.get(key)
    if prepared is None:
        values = {table.c[f]: bindparam(f"set_{f}", type_=table.c[f].type) for f in fields}
        stmt = update(table).where(*_guard(table, statuses, by_attempt)).values(values)
        # Two threads may both build it; either result is the same statement.
        prepared = _GUARDED[key] = Prepared(stmt.returning(*returning), returning)
    return prepared


@functools.lru_cache(maxsize=64)
def guarded_select(
    table: Table, returning: tuple[ColumnElement[Any], ...], statuses: int, by_attempt: bool
) -> Prepared:
    """The row `guarded_update` would change, for a change that sets nothing."""
    return Prepared(select(*returning).where(*_guard(table, statuses, by_attempt)), returning)


# -- the shared base ------------------------------------------------------------------------------


class SqlBase:
    """The engine, the current transaction and the helpers the `SqlStore` parts build on."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._dialect = engine.dialect.name
        self._write_lock = sqlite_write_lock(engine)
        # Per store and per thread/task: the connection of the transaction in progress, which
        # every call made inside it joins.
        self._current: ContextVar[Connection | None] = ContextVar(
            f"hatchet_store_{id(self):x}", default=None
        )
        self._observers: list[Callable[[Written], None]] = []

    def observe(self, callback: Callable[[Written], None]) -> None:
        """Call `callback` with every record this store writes, as written, when it writes it.

        Inside a batch the write is not yet committed: the caller decides what a rollback means.
        """
        self._observers.append(callback)

    def _written(self, *records: Written) -> None:
        for record in records:
            for observer in self._observers:
                observer(record)

    def batch(self) -> AbstractContextManager[None]:
        """Group every call made inside the block into one transaction and one commit.

        A `batch()` inside a batch joins the outer one; an exception rolls the whole batch
        back and propagates.
        """
        return self._batch()

    @contextmanager
    def _batch(self) -> Iterator[None]:
        with self._writing():
            yield

    def close(self) -> None:
        """Release every connection."""
        self._engine.dispose()

    @contextmanager
    def _reading(self, *, snapshot: bool = False) -> Iterator[Connection]:
        """The batch's connection inside a batch, else a pooled one for this read.

        `snapshot` opens a transaction so that several statements see the same state; a
        single statement is consistent on its own and skips the BEGIN.
        """
        current = self._current.get()
        if current is not None:
            yield current
            return
        with self._engine.connect() as conn:
            if snapshot:
                with conn.begin():
                    yield conn
            else:
                yield conn

    @contextmanager
    def _writing(self, *, savepoint: bool = False) -> Iterator[Connection]:
        """A connection in a write transaction: the batch's, or a new one that commits at the
        end of the block.

        `savepoint` makes the block all-or-nothing inside a batch too, so a caller can catch
        an error (an idempotency key taken) and carry on with the batch.
        """
        current = self._current.get()
        if current is not None:
            if savepoint:
                with current.begin_nested():
                    yield current
            else:
                yield current
            return
        with write_transaction(self._engine, self._write_lock) as conn:
            token = self._current.set(conn)
            try:
                yield conn
            finally:
                self._current.reset(token)

    def _update_row(
        self,
        table: Table,
        returning: tuple[ColumnElement[Any], ...],
        row_id: str,
        values: Mapping[str, Any],
        *,
        statuses: Collection[str],
        attempt: int | None = None,
    ) -> dict[str, Any] | None:
        """Write `values` to one row if the guard holds; the row as it is now, or None."""
        fields = tuple(sorted(values))
        params: dict[str, Any] = {f"set_{f}": values[f] for f in fields}
        params["where_id"] = row_id
        for i, status in enumerate(statuses):
            params[f"where_status_{i}"] = status
        if attempt is not None:
            params["where_attempt"] = attempt
        shape = (table, returning, len(statuses), attempt is not None)
        if not fields:
            with self._reading() as conn:
                return guarded_select(*shape).first(conn, params)
        stmt = guarded_update(table, returning, fields, *shape[2:])
        with self._writing() as conn:
            return stmt.first(conn, params)


def changed_fields(change: BaseModel) -> dict[str, Any]:
    """Only the fields the caller set: an explicit None clears a column, an absent one is kept."""
    return {name: getattr(change, name) for name in change.model_fields_set}


def rows_by(rows: Iterable[R], key: str) -> dict[Any, list[R]]:
    """Rows grouped by one column, keeping their order."""
    grouped: dict[Any, list[R]] = {}
    for row in rows:
        grouped.setdefault(row[key], []).append(row)
    return grouped
