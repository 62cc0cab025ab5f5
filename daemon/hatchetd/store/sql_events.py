"""Events: what applications push, kept for good and browsable newest first."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    RowMapping,
    Text,
    and_,
    bindparam,
    cast,
    func,
    insert,
    literal,
    select,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.exc import IntegrityError

from hatchetd.contracts.events import Event, EventQuery, NewEvent
from hatchetd.contracts.paging import Page
from hatchetd.contracts.payload_paths import PathValue
from hatchetd.store.errors import IdempotencyKeyTaken
from hatchetd.store.sql_base import (
    SqlBase,
    encode_cursor,
    id_prefix,
    newest_first,
    older_than,
    rows_by,
)
from hatchetd.store.tables import events, workflow_runs

_INSERT = insert(events)
_BY_ID = select(events).where(events.c.id == bindparam("id"))
_BY_IDEMPOTENCY_KEY = select(events).where(events.c.idempotency_key == bindparam("key"))
_RUNS_OF = (
    select(workflow_runs.c.event_id, workflow_runs.c.id)
    .where(workflow_runs.c.event_id.in_(bindparam("ids", expanding=True)))
    .order_by(workflow_runs.c.created_at, workflow_runs.c.id)
)
_REPLAYS_OF = (
    select(events.c.replayed_from_id, events.c.id)
    .where(events.c.replayed_from_id.in_(bindparam("ids", expanding=True)))
    .order_by(events.c.created_at, events.c.id)
)
_TAKEN_KEY = (
    select(events.c.idempotency_key)
    .where(events.c.idempotency_key.in_(bindparam("keys", expanding=True)))
    .limit(1)
)
_RESOLVE_LIMIT = 10


class EventsSql(SqlBase):
    """The event half of `SqlStore`."""

    def create_events(self, events: Sequence[NewEvent]) -> list[Event]:
        """Store events, all or none; `IdempotencyKeyTaken` if a key is already used."""
        if not events:
            return []
        rows: list[dict[str, Any]] = [
            {
                "id": e.id,
                "key": e.key,
                "data": e.data,
                "created_at": e.created_at,
                "replayed_from_id": e.replayed_from_id,
                "idempotency_key": e.idempotency_key,
            }
            for e in events
        ]
        keys = [e.idempotency_key for e in events if e.idempotency_key is not None]
        try:
            # Only a key can clash in normal use; a savepoint per plain push would cost two
            # statements for nothing.
            with self._writing(savepoint=bool(keys)) as conn:
                conn.execute(_INSERT, rows)
        except IntegrityError as exc:
            # Only the driver's own message: SQLAlchemy's adds the statement, which names
            # every column.
            if not keys or "idempotency_key" not in str(exc.orig):
                raise
            raise IdempotencyKeyTaken(self._taken_key(keys)) from exc
        stored = [Event.model_validate({**row, "run_ids": [], "replay_ids": []}) for row in rows]
        self._written(*stored)
        return stored

    def _taken_key(self, keys: list[str]) -> str:
        with self._reading() as conn:
            taken: str | None = conn.execute(_TAKEN_KEY, {"keys": keys}).scalar()
        if taken is not None:
            return taken
        seen: set[str] = set()
        for key in keys:  # not in the database: used twice in the same call
            if key in seen:
                return key
            seen.add(key)
        return keys[0]

    def get_event(self, event_id: str) -> Event | None:
        """One event with the runs it triggered and the events that replay it."""
        return self._one_event(_BY_ID, {"id": event_id})

    def get_event_by_idempotency_key(self, key: str) -> Event | None:
        """The event pushed with this idempotency key, if any."""
        return self._one_event(_BY_IDEMPOTENCY_KEY, {"key": key})

    def _one_event(self, stmt: Any, params: dict[str, Any]) -> Event | None:
        with self._reading(snapshot=True) as conn:
            row = conn.execute(stmt, params).mappings().first()
            return None if row is None else _with_links(conn, [row])[0]

    def list_events(self, query: EventQuery) -> Page[Event]:
        """Events matching the query, newest first, one page at a time."""
        where: list[ColumnElement[bool]] = []
        if query.key is not None:
            where.append(key_matches(query.key, sqlite=self._dialect == "sqlite"))
        if query.since is not None:
            where.append(events.c.created_at >= query.since)
        if query.until is not None:
            where.append(events.c.created_at < query.until)
        if query.replayed_from_id is not None:
            where.append(events.c.replayed_from_id == query.replayed_from_id)
        for match in query.where:
            where.append(payload_holds(match, sqlite=self._dialect == "sqlite"))
        if query.cursor is not None:
            where.append(older_than(events, query.cursor))
        stmt = newest_first(select(events).where(*where), events, query.limit)
        with self._reading(snapshot=True) as conn:
            rows = conn.execute(stmt).mappings().all()
            items = _with_links(conn, rows[: query.limit])
        more = len(rows) > query.limit
        cursor = encode_cursor(items[-1].created_at, items[-1].id) if more else None
        return Page[Event].model_construct(items=items, next_cursor=cursor)

    def resolve_event_id(self, prefix: str) -> list[str]:
        """Full ids of the events whose id starts with `prefix` (at most ten)."""
        stmt = select(events.c.id).where(id_prefix(events, prefix))
        with self._reading() as conn:
            return list(conn.execute(stmt.order_by(events.c.id).limit(_RESOLVE_LIMIT)).scalars())


def _with_links(conn: Connection, rows: Sequence[RowMapping]) -> list[Event]:
    """Events with their run and replay ids: two queries for any number of events."""
    if not rows:
        return []
    ids = [row["id"] for row in rows]
    runs = rows_by(conn.execute(_RUNS_OF, {"ids": ids}).mappings().all(), "event_id")
    replays = rows_by(conn.execute(_REPLAYS_OF, {"ids": ids}).mappings().all(), "replayed_from_id")
    return [
        Event.model_validate(
            {
                **row,
                "run_ids": [r["id"] for r in runs.get(row["id"], ())],
                "replay_ids": [r["id"] for r in replays.get(row["id"], ())],
            }
        )
        for row in rows
    ]


def key_matches(pattern: str, *, sqlite: bool) -> ColumnElement[bool]:
    """Keys matching an exact key or a pattern whose `*` segments match one whole segment.

    `user:*` matches `user:create` but neither `user:create:x` nor `team:create`. The pattern's
    literal parts are escaped, `*` becomes the wildcard, and the number of `:` must be equal,
    so a wildcard can never swallow a separator. SQLite uses GLOB because its LIKE ignores case.
    """
    segments = pattern.split(":")
    if "*" not in segments:
        return events.c.key == pattern
    if sqlite:
        glob = ":".join("*" if s == "*" else _glob_literal(s) for s in segments)
        match: ColumnElement[bool] = events.c.key.op("GLOB", is_comparison=True)(glob)
    else:
        like = ":".join("%" if s == "*" else _like_literal(s) for s in segments)
        match = events.c.key.like(like, escape="\\")
    colons = func.length(events.c.key) - func.length(func.replace(events.c.key, ":", ""))
    return and_(match, colons == len(segments) - 1)


def payload_holds(match: PathValue, *, sqlite: bool) -> ColumnElement[bool]:
    """Events whose payload holds `match.value` at `match.path`, compared as JSON values.

    Filtering here rather than after the query keeps pages full and cursors right. The keys and
    the value are bound parameters, never SQL text.

    SQLite's `json_extract` gives `true` as 1 and `"1"` as '1', so the value's JSON type is
    compared first (`json_type`), then the value. Each key is quoted in the JSON path
    (`$."items"."0"`) so that a key of digits never indexes an array.

    PostgreSQL keeps the payload as `json` text (its key order is the user's), cast here to
    JSONB, where `=` is JSON equality already (`42 = 42.0`, `true <> 1`). The path is walked
    with `->` and keys cast to text: `jsonb -> text` reads an object key only, as on SQLite,
    where `#>` would also index arrays.
    """
    value = match.value
    if sqlite:
        path = "$" + "".join(f'."{key}"' for key in match.keys)
        kind = func.json_type(events.c.data, path)
        if value is None or isinstance(value, bool):
            return kind == json.dumps(value)  # 'null', 'true', 'false'
        extracted = func.json_extract(events.c.data, path)
        if isinstance(value, str):
            return and_(kind == "text", extracted == value)
        if isinstance(value, int) and not -(2**63) <= value < 2**63:
            value = float(value)  # SQLite reads such a JSON number as a real, and cannot bind it
        return and_(kind.in_(("integer", "real")), extracted == value)
    node: ColumnElement[Any] = cast(events.c.data, JSONB)
    for key in match.keys:
        node = node.op("->", return_type=JSONB)(cast(literal(key, Text), Text))
    return node == cast(literal(json.dumps(value), Text), JSONB)


def _glob_literal(text: str) -> str:
    return "".join(f"[{c}]" if c in "*?[" else c for c in text)


def _like_literal(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
