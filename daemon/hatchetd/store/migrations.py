"""Schema migrations: small numbered functions, applied in order, recorded in `schema_migrations`.

A database made by an older hatchetd opens in a newer one: `migrate` applies the migrations it
has not seen, each in its own transaction together with its row in `schema_migrations`, so a
crash leaves the database at a version, never between two. Add a migration with
`@migration(next_version, "what_it_does")` below the last one and change the table's class in
`table_models.py` to match; never edit a migration that has shipped.

Migration 1 spells out the first schema itself instead of calling `metadata.create_all` on the
table classes: once a later migration alters a table, its class describes the result of both,
and replaying it as migration 1 would make the later one fail.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Connection,
    Engine,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    bindparam,
    insert,
    select,
    text,
)

from hatchetd.store.errors import StoreUnavailable
from hatchetd.store.sql_connect import sqlite_write_lock, write_transaction
from hatchetd.store.tables import (
    UtcDateTime,
    id_type,
    json_type,
    log_id_type,
    ordered_json_type,
    schema_migrations,
)

MigrationFn = Callable[[Connection], None]


@dataclass(frozen=True)
class Migration:
    """One step of the schema's history."""

    version: int
    """Its place in the order, from 1, without gaps."""
    name: str
    """What it does, in snake_case; recorded beside the version."""
    apply: MigrationFn
    """Changes the schema (and data) through the connection it is given, inside a transaction."""


MIGRATIONS: list[Migration] = []
"""Every migration this version of hatchetd knows, in order."""


def migration(version: int, name: str) -> Callable[[MigrationFn], MigrationFn]:
    """Register the decorated function as migration `version`."""

    def register(fn: MigrationFn) -> MigrationFn:
        if version != len(MIGRATIONS) + 1:
            raise ValueError(
                f"migration {name!r} is number {version}, expected {len(MIGRATIONS) + 1}"
            )
        MIGRATIONS.append(Migration(version, name, fn))
        return fn

    return register


def migrate(engine: Engine, migrations: Sequence[Migration] = MIGRATIONS) -> list[Migration]:
    """Apply the migrations the database has not recorded yet; return the ones applied.

    Safe to run from several processes at once: each migration's transaction first takes a
    lock (SQLite's write lock, a PostgreSQL advisory lock) and then re-reads what is applied.
    Raises `StoreUnavailable` for a database written by a newer hatchetd.
    """
    versions = [m.version for m in migrations]
    if versions != list(range(1, len(versions) + 1)):
        raise ValueError(f"migrations must be numbered 1, 2, 3… without gaps, got {versions}")
    done = _applied_versions(engine)
    if done and max(done) > len(versions):
        raise StoreUnavailable(
            f"the database is at schema version {max(done)} but this hatchetd knows only up to "
            f"{len(versions)}: a newer hatchetd wrote it; upgrade hatchetd or use another --db"
        )
    applied: list[Migration] = []
    for step in migrations:
        if step.version in done:
            continue  # opening an up-to-date database takes no lock at all
        with _migration_transaction(engine) as conn:
            if conn.execute(_IS_APPLIED, {"version": step.version}).first() is not None:
                continue  # another process applied it while this one waited for the lock
            step.apply(conn)
            conn.execute(
                insert(schema_migrations),
                {"version": step.version, "name": step.name, "applied_at": datetime.now(UTC)},
            )
            applied.append(step)
    return applied


_IS_APPLIED = select(schema_migrations.c.version).where(
    schema_migrations.c.version == bindparam("version")
)


def _applied_versions(engine: Engine) -> set[int]:
    with engine.connect() as conn:
        if not engine.dialect.has_table(conn, schema_migrations.name):
            return set()
        return set(conn.execute(select(schema_migrations.c.version)).scalars())


@contextmanager
def _migration_transaction(engine: Engine) -> Iterator[Connection]:
    with write_transaction(engine, sqlite_write_lock(engine)) as conn:
        if engine.dialect.name == "postgresql":
            # Released at commit. Keyed by schema so separate schemas migrate independently.
            conn.execute(
                text("SELECT pg_advisory_xact_lock(hashtext('hatchet:' || current_schema()))")
            )
        schema_migrations.create(conn, checkfirst=True)
        yield conn


# -- the migrations -------------------------------------------------------------------------------


@migration(1, "create_schema")
def _create_schema(conn: Connection) -> None:
    """Events, workflows and their versions, runs, step logs and workers."""
    md = MetaData()
    state = String(32)  # enum members as text; no CHECK, so a new member needs no migration
    Table(
        "events",
        md,
        Column("id", id_type(), primary_key=True),
        Column("key", Text, nullable=False),
        Column("data", json_type(), nullable=False),
        Column("created_at", UtcDateTime, nullable=False),
        Column("replayed_from_id", id_type(), ForeignKey("events.id")),
        Column("idempotency_key", Text),
        Index("ix_events_key_created_at", "key", "created_at", "id"),
        Index("ix_events_created_at", "created_at", "id"),
        Index("ix_events_replayed_from_id", "replayed_from_id"),
        Index(
            "uq_events_idempotency_key",
            "idempotency_key",
            unique=True,
            sqlite_where=text("idempotency_key IS NOT NULL"),
            postgresql_where=text("idempotency_key IS NOT NULL"),
        ),
    )
    Table(
        "workflow_versions",
        md,
        Column("id", id_type(), primary_key=True),
        Column("workflow_name", Text, nullable=False),
        Column("version", Text),
        Column("definition", ordered_json_type(), nullable=False),
        Column("file", Text, nullable=False),
        Column("created_at", UtcDateTime, nullable=False),
        Index("ix_workflow_versions_workflow_name", "workflow_name", "created_at"),
    )
    Table(
        "workflows",
        md,
        Column("name", Text, primary_key=True),
        Column("current_version_id", id_type(), ForeignKey("workflow_versions.id"), nullable=False),
        Column("active", Boolean, nullable=False),
        Column("file", Text, nullable=False),
        Column("updated_at", UtcDateTime, nullable=False),
    )
    Table(
        "workflow_runs",
        md,
        Column("id", id_type(), primary_key=True),
        Column("workflow_name", Text, nullable=False),
        Column(
            "workflow_version_id", id_type(), ForeignKey("workflow_versions.id"), nullable=False
        ),
        Column("trigger", state, nullable=False),
        Column("event_id", id_type(), ForeignKey("events.id")),
        Column("cron_tick_at", UtcDateTime),
        Column("status", state, nullable=False),
        Column("error", Text),
        Column("cancel_reason", state),
        Column("created_at", UtcDateTime, nullable=False),
        Column("started_at", UtcDateTime),
        Column("finished_at", UtcDateTime),
        Index("ix_workflow_runs_event_id", "event_id"),
        Index("ix_workflow_runs_workflow_name_created_at", "workflow_name", "created_at", "id"),
        Index("ix_workflow_runs_status_created_at", "status", "created_at", "id"),
        Index("ix_workflow_runs_created_at", "created_at", "id"),
        Index(
            "uq_workflow_runs_cron_tick",
            "workflow_name",
            "cron_tick_at",
            unique=True,
            sqlite_where=text("cron_tick_at IS NOT NULL"),
            postgresql_where=text("cron_tick_at IS NOT NULL"),
        ),
    )
    Table(
        "job_runs",
        md,
        Column("id", id_type(), primary_key=True),
        Column("workflow_run_id", id_type(), ForeignKey("workflow_runs.id"), nullable=False),
        Column("position", Integer, nullable=False),
        Column("job_name", Text, nullable=False),
        Column("status", state, nullable=False),
        Column("error", Text),
        Column("cancel_reason", state),
        Column("deadline_at", UtcDateTime),
        Column("created_at", UtcDateTime, nullable=False),
        Column("started_at", UtcDateTime),
        Column("finished_at", UtcDateTime),
        Index("ix_job_runs_workflow_run_id", "workflow_run_id", "position"),
    )
    Table(
        "step_runs",
        md,
        Column("id", id_type(), primary_key=True),
        Column("workflow_run_id", id_type(), ForeignKey("workflow_runs.id"), nullable=False),
        Column("job_run_id", id_type(), ForeignKey("job_runs.id"), nullable=False),
        Column("step_id", Text, nullable=False),
        Column("step_index", Integer, nullable=False),
        Column("action", Text, nullable=False),
        Column("attempt", Integer, nullable=False),
        Column("status", state, nullable=False),
        Column("input", json_type()),
        Column("output", json_type()),
        Column("error", Text),
        Column("cancel_reason", state),
        Column("worker_id", id_type()),
        Column("deadline_at", UtcDateTime),
        Column("created_at", UtcDateTime, nullable=False),
        Column("assigned_at", UtcDateTime),
        Column("started_at", UtcDateTime),
        Column("finished_at", UtcDateTime),
        Index("ix_step_runs_job_run_id", "job_run_id"),
        Index("ix_step_runs_workflow_run_id", "workflow_run_id"),
        Index("ix_step_runs_status_action_created_at", "status", "action", "created_at"),
        Index("ix_step_runs_status_deadline_at", "status", "deadline_at"),
        Index("ix_step_runs_worker_id_status", "worker_id", "status"),
    )
    Table(
        "step_logs",
        md,
        Column("id", log_id_type(), primary_key=True, autoincrement=True),
        Column("step_run_id", id_type(), ForeignKey("step_runs.id"), nullable=False),
        Column("at", UtcDateTime, nullable=False),
        Column("line", Text, nullable=False),
        Index("ix_step_logs_step_run_id", "step_run_id", "id"),
    )
    Table(
        "workers",
        md,
        Column("id", id_type(), primary_key=True),
        Column("name", Text, nullable=False),
        Column("actions", json_type(), nullable=False),
        Column("slots", Integer, nullable=False),
        Column("status", state, nullable=False),
        Column("registered_at", UtcDateTime, nullable=False),
        Column("last_heartbeat_at", UtcDateTime, nullable=False),
        Index("ix_workers_status", "status", "registered_at"),
    )
    md.create_all(conn)


@migration(2, "events_data_as_json")
def _events_data_as_json(conn: Connection) -> None:
    """Event payloads as `json` on PostgreSQL, the text kept as written: `jsonb` re-sorts object
    keys, so `events show` and a replay gave a payload's keys back in another order. The `where`
    filter casts to jsonb in the query instead. SQLite keeps JSON as text already."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("ALTER TABLE events ALTER COLUMN data TYPE json USING data::json"))


@migration(3, "create_replicas")
def _create_replicas(conn: Connection) -> None:
    """A row per hatchetd process: its lease and its count of committed batches."""
    md = MetaData()
    Table(
        "replicas",
        md,
        Column("id", id_type(), primary_key=True),
        Column("host", Text, nullable=False),
        Column("pid", Integer, nullable=False),
        Column("started_at", UtcDateTime, nullable=False),
        Column("renewed_at", UtcDateTime, nullable=False),
        Column("stopped_at", UtcDateTime, nullable=True),
        Column("commit_seq", BigInteger(), nullable=False),
    )
    md.create_all(conn)


@migration(4, "replicas_share_work")
def _replicas_share_work(conn: Connection) -> None:
    """What several daemons on one database need: the replica each worker is connected to (a
    replica adopts only its own workers when it restarts), and a version on each run, bumped by
    every transaction that changes the run, so that a daemon knows when its memory of a run is
    stale because another daemon moved it on."""
    conn.execute(text(f"ALTER TABLE workers ADD COLUMN replica_id {_id_sql(conn)}"))
    conn.execute(text("ALTER TABLE workflow_runs ADD COLUMN version INTEGER NOT NULL DEFAULT 0"))


@migration(5, "manual_runs")
def _manual_runs(conn: Connection) -> None:
    """Runs started by hand: the input each was started with (JSON kept as sent, as an event's
    payload is), and the idempotency key that makes starting one safe to retry, unique where
    set."""
    json_sql = ordered_json_type().compile(dialect=conn.dialect)
    conn.execute(text(f"ALTER TABLE workflow_runs ADD COLUMN input {json_sql}"))
    conn.execute(text("ALTER TABLE workflow_runs ADD COLUMN idempotency_key TEXT"))
    conn.execute(
        text(
            "CREATE UNIQUE INDEX uq_workflow_runs_idempotency_key ON workflow_runs "
            "(idempotency_key) WHERE idempotency_key IS NOT NULL"
        )
    )


@migration(6, "reruns")
def _reruns(conn: Connection) -> None:
    """A rerun names the run it reruns, indexed: the original's trace lists its reruns."""
    conn.execute(
        text(
            f"ALTER TABLE workflow_runs ADD COLUMN rerun_of_id {_id_sql(conn)} "
            "REFERENCES workflow_runs (id)"
        )
    )
    conn.execute(text("CREATE INDEX ix_workflow_runs_rerun_of_id ON workflow_runs (rerun_of_id)"))


def _id_sql(conn: Connection) -> str:
    return str(id_type().compile(dialect=conn.dialect))
