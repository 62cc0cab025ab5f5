"""Which database errors are trouble (try again later) and which are bugs.

The SQL implementation raises `StoreTrouble` subclasses instead of driver errors when the
database itself cannot do the work now — unreachable, locked past the busy timeout, out of disk —
so the runtime can wait for it and the API can answer 503/507 instead of a 500. Anything else (a
constraint the store did not expect, a syntax error) stays the driver's error: a bug to fix, not
a condition to wait out.

The translation is a SQLAlchemy `handle_error` hook, so it covers every statement, commit and
connect, and SQLAlchemy still invalidates a connection that died (its `is_disconnect` check runs
before and regardless of what the hook raises).
"""

from __future__ import annotations

import errno
import sqlite3
from typing import Any

from sqlalchemy import Engine, event
from sqlalchemy.engine import ExceptionContext

from hatchetd.store.errors import (
    StoreConflict,
    StoreFull,
    StoreLocked,
    StoreTrouble,
    StoreUnavailable,
)

# SQLite's primary result codes (the low byte of an extended code), from sqlite3.h.
_SQLITE_BUSY = 5
_SQLITE_LOCKED = 6
_SQLITE_NOMEM = 7
_SQLITE_READONLY = 8
_SQLITE_IOERR = 10
_SQLITE_CORRUPT = 11
_SQLITE_FULL = 13
_SQLITE_CANTOPEN = 14
_SQLITE_NOTADB = 26

# PostgreSQL SQLSTATE classes and codes (Appendix A of its manual).
_PG_CONNECTION_CLASS = "08"
_PG_RESOURCES_CLASS = "53"
_PG_DISK_FULL = "53100"
_PG_UNAVAILABLE = frozenset({"57P01", "57P02", "57P03", "57P05", "58030"})
"""Admin or crash shutdown, cannot connect now, idle session timeout, I/O error."""
_PG_LOCKED = frozenset({"55P03"})
"""Lock not available: another writer was in the way."""
_PG_CONFLICT = frozenset({"40P01", "40001"})
"""Deadlock, serialization failure: two transactions in each other's way; one was rolled back
and may simply run again (`StoreConflict`, not trouble)."""


def conflict(exc: BaseException) -> StoreConflict | None:
    """A `StoreConflict` if the driver error is a deadlock or serialization failure."""
    try:
        import psycopg
    except ImportError:  # pragma: no cover - psycopg is a dependency
        return None
    if isinstance(exc, psycopg.Error) and exc.sqlstate in _PG_CONFLICT:
        return StoreConflict(f"another daemon changed the same rows: {describe(exc)}")
    return None


def classify(exc: BaseException) -> StoreTrouble | None:
    """The trouble a driver error means, with a one-line message; None for a bug."""
    if isinstance(exc, StoreTrouble):
        return exc
    if isinstance(exc, sqlite3.Error):
        return _sqlite(exc)
    if isinstance(exc, OSError):
        if exc.errno == errno.ENOSPC:
            return StoreFull(f"the database's disk is full: {exc}")
        return StoreUnavailable(f"the database cannot be reached: {exc}")
    return _psycopg(exc)


def install(engine: Engine) -> None:
    """Raise `StoreTrouble` from every statement, commit and connect on `engine` that fails
    for a reason worth waiting out."""
    event.listen(engine, "handle_error", _translate)


def _translate(context: ExceptionContext) -> None:
    clash = conflict(context.original_exception)
    if clash is not None:
        raise clash
    trouble = classify(context.original_exception)
    if trouble is not None:
        if isinstance(trouble, StoreUnavailable):
            context.is_disconnect = True  # do not hand this connection out again
        raise trouble


def _sqlite(exc: sqlite3.Error) -> StoreTrouble | None:
    code = getattr(exc, "sqlite_errorcode", None)
    message = " ".join(str(exc).split())
    if code is None:  # raised by the sqlite3 module itself (a closed connection, say)
        if isinstance(exc, sqlite3.OperationalError) and "locked" in message:
            return StoreLocked(f"the database is locked by another writer: {message}")
        return None
    primary = code & 0xFF
    if primary in (_SQLITE_BUSY, _SQLITE_LOCKED):
        return StoreLocked(f"the database is locked by another writer: {message}")
    if primary == _SQLITE_FULL:
        return StoreFull(f"the database's disk is full: {message}")
    if primary in (_SQLITE_IOERR, _SQLITE_CANTOPEN, _SQLITE_READONLY, _SQLITE_NOMEM):
        if primary == _SQLITE_IOERR and _out_of_space(exc):
            return StoreFull(f"the database's disk is full: {message}")
        return StoreUnavailable(f"the database file cannot be used: {message}")
    if primary in (_SQLITE_CORRUPT, _SQLITE_NOTADB):
        return StoreUnavailable(f"the database file is damaged: {message}")
    return None


def _out_of_space(exc: sqlite3.Error) -> bool:
    # An fsync or write that fails for lack of space can come back as an I/O error rather
    # than SQLITE_FULL; the message then still says so.
    return "full" in str(exc) or "space" in str(exc)


def _psycopg(exc: BaseException) -> StoreTrouble | None:
    try:
        import psycopg
    except ImportError:  # pragma: no cover - psycopg is a dependency
        return None
    if not isinstance(exc, psycopg.Error):
        return None
    state: str | None = exc.sqlstate
    message = " ".join(str(exc).split()) or type(exc).__name__
    if state == _PG_DISK_FULL:
        return StoreFull(f"the database's disk is full: {message}")
    if state in _PG_LOCKED:
        return StoreLocked(f"the database is locked by another writer: {message}")
    if state is None:
        # No server answer at all: the connection failed or broke (OperationalError,
        # InterfaceError). Errors the server sends always carry a SQLSTATE.
        if isinstance(exc, psycopg.OperationalError | psycopg.InterfaceError):
            return StoreUnavailable(f"the database cannot be reached: {message}")
        return None
    if state.startswith((_PG_CONNECTION_CLASS, _PG_RESOURCES_CLASS)) or state in _PG_UNAVAILABLE:
        return StoreUnavailable(f"the database cannot be reached: {message}")
    return None


def describe(exc: Any) -> str:
    """A driver error as one line, without SQLAlchemy's statement and parameters."""
    cause = getattr(exc, "orig", None) or exc
    return " ".join(str(cause).split()) or type(cause).__name__
