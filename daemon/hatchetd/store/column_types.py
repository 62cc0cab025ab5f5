"""The store's column types: how times, JSON, ids and states are kept on SQLite and PostgreSQL.

Shared by the table classes (`table_models.py`) and the migrations, which must spell the same
types so that a migrated database has exactly the columns the tables declare.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    Dialect,
    Enum,
    Integer,
    String,
    Text,
    TypeDecorator,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.types import TypeEngine


class UtcDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC datetime in and out.

    PostgreSQL keeps it as `timestamptz`. SQLite has no time type, so it is stored as ISO 8601
    text with microseconds and a `+00:00` offset: fixed width, so text order is time order and
    the (created_at, id) indexes serve keyset paging.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(String(32))
        return dialect.type_descriptor(DateTime(timezone=True))

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            # A naive time is ambiguous (local? UTC?); storing a guess would corrupt ordering.
            raise ValueError(f"naive datetime {value.isoformat()} given to the store: pass UTC")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.isoformat(timespec="microseconds")
        return value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if isinstance(value, str):
            return datetime.fromisoformat(value)
        result: datetime = value
        # psycopg hands back the session's time zone; callers are promised UTC.
        return result if result.tzinfo is UTC else result.astimezone(UTC)


def json_type() -> TypeEngine[Any]:
    """JSON, stored as JSONB on PostgreSQL; Python None is SQL NULL (not the JSON `null`).

    JSONB re-sorts object keys: right for values only read whole by the engine (step inputs and
    outputs, a worker's actions), wrong for what a user pushed (see `ordered_json_type`)."""
    return JSON(none_as_null=True).with_variant(JSONB(none_as_null=True), "postgresql")


def ordered_json_type() -> TypeEngine[Any]:
    """JSON kept as the text written, on PostgreSQL too: JSONB re-sorts object keys, and the
    order of a workflow's `jobs:` is the order its job runs are shown in, and an event's payload
    must come back as it was pushed. Queries that look inside cast it to jsonb."""
    return JSON(none_as_null=True)


def id_type() -> TypeEngine[str]:
    """Text ids. Byte-order collation on PostgreSQL, as SQLite has by default, so that an id
    prefix is a range scan on the primary key there too (`hatchet runs show 3f2a`)."""
    return Text().with_variant(Text(collation="C"), "postgresql")


def state_type(enum: type[Any]) -> TypeEngine[Any]:
    """A state or reason enum as plain VARCHAR(32) without a CHECK constraint, so adding a
    member later needs no migration; rows come back as enum members."""
    return Enum(enum, native_enum=False, create_constraint=False, length=32)


def log_id_type() -> TypeEngine[int]:
    """BIGSERIAL on PostgreSQL; INTEGER on SQLite, where only an INTEGER PRIMARY KEY is the
    auto-assigned rowid."""
    return BigInteger().with_variant(Integer(), "sqlite")
