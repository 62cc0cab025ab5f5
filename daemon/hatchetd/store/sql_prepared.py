"""Statements compiled once and run straight on the driver's cursor: the per-row hot path.

SQLAlchemy's execution layer costs about 70 µs per statement on top of SQLite's 15-30 µs, and
the engine makes several single-row reads and guarded updates per run (design §11). Those skip
the layer: the SQL text, the parameter conversion and the row conversion are still
SQLAlchemy's own, taken once from the compiled statement and the column types, so one Core
definition keeps serving both dialects. Listings and bulk inserts stay on `Connection.execute`,
whose cost is per call, not per row.
"""

from __future__ import annotations

import contextlib
import threading
import weakref
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Connection, Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ClauseElement

from hatchetd.store import sql_trouble
from hatchetd.store.errors import StoreUnavailable

Processor = Callable[[Any], Any] | None


@dataclass(frozen=True)
class _Form:
    """A statement as one dialect runs it."""

    sql: str
    binds: tuple[tuple[str, Processor, Any], ...]  # name, converter, value if fixed in the SQL
    positional: bool
    names: tuple[str, ...]
    results: tuple[Processor, ...]

    def args(self, params: Mapping[str, Any]) -> Any:
        values = []
        for name, proc, fixed in self.binds:
            value = params.get(name, fixed)
            values.append(value if proc is None or value is None else proc(value))
        if self.positional:
            return values
        return {name: value for (name, _, _), value in zip(self.binds, values, strict=True)}

    def row(self, row: Sequence[Any]) -> dict[str, Any]:
        return {
            name: value if proc is None else proc(value)
            for name, proc, value in zip(self.names, self.results, row, strict=True)
        }


class Prepared:
    """A Core statement and the columns it returns, compiled once per dialect."""

    def __init__(self, stmt: ClauseElement, columns: Sequence[ColumnElement[Any]] = ()) -> None:
        self.stmt = stmt
        self.columns = tuple(columns)
        self._forms: weakref.WeakKeyDictionary[Dialect, _Form] = weakref.WeakKeyDictionary()
        self._lock = threading.Lock()

    def first(self, conn: Connection, params: Mapping[str, Any]) -> dict[str, Any] | None:
        """The first row the statement returns, converted, or None."""
        form, cursor = self._execute(conn, params)
        try:
            row = cursor.fetchone()
        finally:
            cursor.close()
        return None if row is None else form.row(row)

    def all(self, conn: Connection, params: Mapping[str, Any]) -> list[dict[str, Any]]:
        """Every row the statement returns, converted."""
        form, cursor = self._execute(conn, params)
        try:
            rows = cursor.fetchall()
        finally:
            cursor.close()
        return [form.row(row) for row in rows]

    def rowcount(self, conn: Connection, params: Mapping[str, Any]) -> int:
        """How many rows the statement changed."""
        _, cursor = self._execute(conn, params)
        try:
            count: int = cursor.rowcount
        finally:
            cursor.close()
        return count

    def _execute(self, conn: Connection, params: Mapping[str, Any]) -> tuple[_Form, Any]:
        dialect = conn.dialect
        form = self._forms.get(dialect) or self._compile(dialect)
        args = form.args(params)
        cursor = None
        try:
            cursor = conn.connection.cursor()
            cursor.execute(form.sql, args)
        except Exception as exc:
            if cursor is not None:
                with contextlib.suppress(Exception):  # a dead connection's cursor, say
                    cursor.close()
            # Straight on the cursor, the engine's `handle_error` hook is skipped: translate
            # here what it would have, and drop a connection that died.
            clash = sql_trouble.conflict(exc)
            if clash is not None:
                raise clash from exc
            trouble = sql_trouble.classify(exc)
            if trouble is not None:
                if isinstance(trouble, StoreUnavailable):
                    conn.invalidate(exc)
                raise trouble from exc
            dbapi_error = dialect.loaded_dbapi.Error
            if isinstance(exc, dbapi_error):
                # The same exception types as Connection.execute raises.
                raise DBAPIError.instance(form.sql, args, exc, dbapi_error) from exc
            raise
        return form, cursor

    def _compile(self, dialect: Dialect) -> _Form:
        compiled = self.stmt.compile(dialect=dialect)
        assert isinstance(compiled, SQLCompiler)
        if compiled.post_compile_params or compiled.literal_execute_params:
            raise ValueError("a prepared statement cannot use expanding IN parameters")
        order = compiled.positiontup or list(compiled.binds)
        binds = tuple(
            (
                name,
                compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect),
                compiled.binds[name].effective_value,
            )
            for name in order
        )
        form = _Form(
            sql=compiled.string,
            binds=binds,
            positional=compiled.positiontup is not None,
            names=tuple(c.key for c in self.columns if c.key is not None),
            results=tuple(
                c.type.dialect_impl(dialect).result_processor(dialect, None) for c in self.columns
            ),
        )
        with self._lock:
            self._forms[dialect] = form
        return form
