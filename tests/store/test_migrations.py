"""Migrations: recorded once, applied in order on open, and building exactly the tables that the
SQLModel classes of `store/table_models.py` declare."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, inspect, select, text

from hatchetd.contracts.events import EventQuery, NewEvent
from hatchetd.contracts.payload_paths import PathValue
from hatchetd.store import Store, StoreUnavailable, open_store
from hatchetd.store.migrations import MIGRATIONS, Migration, migrate, migration
from hatchetd.store.sql_connect import make_engine, parse_url
from hatchetd.store.table_models import StoreRow
from hatchetd.store.tables import schema_migrations


@contextmanager
def engine_for(url: str) -> Iterator[Engine]:
    engine = make_engine(parse_url(url))
    try:
        yield engine
    finally:
        engine.dispose()


def recorded(url: str) -> list[tuple[Any, ...]]:
    with engine_for(url) as engine, engine.connect() as conn:
        rows = conn.execute(select(schema_migrations).order_by(schema_migrations.c.version))
        return [tuple(row) for row in rows]


def _add_event_source(conn: Connection) -> None:
    conn.execute(text("ALTER TABLE events ADD COLUMN source TEXT"))
    conn.execute(text("UPDATE events SET source = 'before the upgrade'"))


NEXT = Migration(len(MIGRATIONS) + 1, "add_event_source", _add_event_source)


def test_applied_migrations_are_recorded(store: Store, database_url: str) -> None:
    rows = recorded(database_url)

    assert [(version, name) for version, name, _ in rows] == [
        (m.version, m.name) for m in MIGRATIONS
    ]
    assert rows[0][:2] == (1, "create_schema")
    assert all(applied_at.tzinfo is not None for *_, applied_at in rows)


def test_reopening_applies_nothing_twice(
    store: Store, database_url: str, open_stores: Callable[[str], Store]
) -> None:
    before = recorded(database_url)

    open_stores(database_url)
    with engine_for(database_url) as engine:
        assert migrate(engine) == []

    assert recorded(database_url) == before


def test_an_older_database_is_upgraded_on_open_and_keeps_its_data(
    store: Store, database_url: str, new_event: Callable[..., NewEvent]
) -> None:
    event = new_event(data={"kept": True})
    store.create_events([event])
    store.close()

    upgraded = open_store(database_url, migrations=[*MIGRATIONS, NEXT])
    try:
        stored = upgraded.get_event(event.id)
        assert stored is not None
        assert stored.data == {"kept": True}
    finally:
        upgraded.close()

    assert [(v, name) for v, name, _ in recorded(database_url)][-1] == (NEXT.version, NEXT.name)
    with engine_for(database_url) as engine, engine.connect() as conn:
        source = conn.execute(text("SELECT source FROM events")).scalar_one()
        assert source == "before the upgrade"
        assert migrate(engine, [*MIGRATIONS, NEXT]) == []


def test_a_database_from_a_newer_hatchetd_is_refused(
    store: Store, database_url: str, open_stores: Callable[[str], Store]
) -> None:
    store.close()
    open_store(database_url, migrations=[*MIGRATIONS, NEXT]).close()

    newer, known = len(MIGRATIONS) + 1, len(MIGRATIONS)
    with pytest.raises(
        StoreUnavailable, match=rf"schema version {newer} .* knows only up to {known}"
    ):
        open_stores(database_url)


def test_migrations_must_be_numbered_without_gaps(database_url: str) -> None:
    known = len(MIGRATIONS)
    with engine_for(database_url) as engine, pytest.raises(ValueError, match="without gaps"):
        migrate(engine, [*MIGRATIONS, Migration(len(MIGRATIONS) + 2, "gap", _add_event_source)])
    with pytest.raises(ValueError, match="expected"):
        migration(len(MIGRATIONS) + 5, "out_of_order")(_add_event_source)
    assert len(MIGRATIONS) == known  # the refused one was not registered


def test_payloads_written_before_json_text_are_kept_and_found_after_it(
    database_url: str, new_event: Callable[..., NewEvent]
) -> None:
    """Migration 2 turns PostgreSQL's jsonb payloads into json text: what was stored before is
    read and filtered as before, and what is stored after keeps its key order."""
    before_2 = [m for m in MIGRATIONS if m.version < 2]
    old = new_event(data={"b": 1, "a": {"z": 2, "y": [1.5, None]}})
    store = open_store(database_url, migrations=before_2)
    try:
        store.create_events([old])
    finally:
        store.close()

    upgraded = open_store(database_url)
    try:
        new = new_event(data={"b": 1, "a": {"z": 2, "y": [1.5, None]}})
        upgraded.create_events([new])
        read_old, read_new = upgraded.get_event(old.id), upgraded.get_event(new.id)
        found = upgraded.list_events(EventQuery(where=(PathValue.parse("a.z=2"),))).items
    finally:
        upgraded.close()

    assert read_old is not None
    assert read_new is not None
    assert read_old.data == old.data
    assert list(read_new.data) == ["b", "a"]
    assert list(read_new.data["a"]) == ["z", "y"]
    assert {event.id for event in found} == {old.id, new.id}


def describe(url: str) -> dict[str, Any]:
    """Tables, columns, keys and indexes as the database itself reports them."""
    with engine_for(url) as engine:
        found = inspect(engine)
        schema: dict[str, Any] = {}
        for table in sorted(found.get_table_names()):
            schema[table] = {
                "columns": [
                    (c["name"], repr(c["type"]), c["nullable"], c["default"])
                    for c in found.get_columns(table)
                ],
                "primary_key": found.get_pk_constraint(table)["constrained_columns"],
                "foreign_keys": sorted(
                    (
                        tuple(fk["constrained_columns"]),
                        fk["referred_table"],
                        tuple(fk["referred_columns"]),
                    )
                    for fk in found.get_foreign_keys(table)
                ),
                "indexes": sorted(
                    (
                        ix["name"],
                        tuple(ix["column_names"]),
                        bool(ix["unique"]),
                        sorted((k, str(v)) for k, v in ix.get("dialect_options", {}).items()),
                    )
                    for ix in found.get_indexes(table)
                ),
            }
        return schema


def test_every_table_is_a_row_class() -> None:
    """The row classes' metadata holds their tables and nothing else: a Core `Table` added to it
    by hand would be created by the test below without a class to declare it."""
    mapped = {table.name for mapper in StoreRow._sa_registry.mappers for table in mapper.tables}

    assert mapped == set(StoreRow.metadata.tables)


def test_the_migrations_build_exactly_the_tables_the_row_classes_declare(
    store: Store, database_url: str, fresh_url: Callable[[], str], backend: str
) -> None:
    """What `migrate` built and what `create_all` makes of the SQLModel classes, as the database
    reports them: the same tables, columns, types, defaults, keys and indexes."""
    declared = fresh_url()
    with engine_for(declared) as engine:
        StoreRow.metadata.create_all(engine)

    migrated_schema, declared_schema = describe(database_url), describe(declared)

    assert set(migrated_schema) == set(StoreRow.metadata.tables)
    for table in declared_schema:
        assert migrated_schema[table] == declared_schema[table], table
