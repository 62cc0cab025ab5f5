"""Transactions, paging and guarded updates: what every part of `SqlStore` shares.

One implementation serves SQLite and PostgreSQL; the differences live in `sql_connect.py` (how
to connect, how a write transaction begins) and in the few dialect-specific statements of the
parts.
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel
from sqlalchemy import (
    ColumnElement,
    Connection,
    Engine,
    Select,
    Table,
    and_,
    bindparam,
    or_,
    select,
    update,
)
from sqlmodel import Session
from sqlmodel.sql.expression import SelectOfScalar

from hatchetd.contracts.paging import CURSOR_PATTERN
from hatchetd.store.protocol import Written
from hatchetd.store.sql_connect import sqlite_write_lock, write_transaction
from hatchetd.store.sql_prepared import Prepared
from hatchetd.store.sqlite_lock import SqliteLock
from hatchetd.store.table_models import StoreRow

R = TypeVar("R", bound=Mapping[Any, Any])
RowT = TypeVar("RowT", bound=StoreRow)


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


# -- whole rows, as table classes ----------------------------------------------------------------


def _session(conn: Connection) -> Session:
    # The store owns the transaction: the session joins the connection's (the batch's, inside
    # a batch) and leaves it as it found it; outside one it reads in a transaction of its own.
    return Session(conn, join_transaction_mode="rollback_only", autoflush=False)


def select_rows(conn: Connection, stmt: SelectOfScalar[RowT]) -> Sequence[RowT]:
    """The table-class objects `select(SomeRow)…` returns, loaded by the ORM.

    For the whole-row reads of the small tables (workers, replicas, workflows): the ORM costs
    more per statement and per row than `Prepared`, which the per-run reads and updates use.
    """
    with _session(conn) as session:
        return session.exec(stmt).all()


def get_row(conn: Connection, row: type[RowT], key: str) -> RowT | None:
    """The row of `row`'s table with primary key `key`, or None."""
    with _session(conn) as session:
        return session.get(row, key)


# -- the shared base ------------------------------------------------------------------------------


class SqlBase:
    """The engine, the current transaction and the helpers the `SqlStore` parts build on."""

    def __init__(self, engine: Engine, file_lock: SqliteLock | None = None) -> None:
        self._engine = engine
        self._file_lock = file_lock
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
        """Release every connection, then the SQLite file if this store held it."""
        self._engine.dispose()
        # Last: the next daemon must not open the file while connections of this one remain.
        if self._file_lock is not None:
            self._file_lock.release()

    def free_space(self) -> int | None:
        """Bytes free on the disk of a SQLite file; None for PostgreSQL, whose disk the
        daemon cannot see."""
        if self._dialect != "sqlite" or not self._engine.url.database:
            return None
        stats = os.statvfs(Path(self._engine.url.database).parent)
        return stats.f_bavail * stats.f_frsize

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
