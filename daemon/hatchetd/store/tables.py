"""The store's tables as SQLAlchemy Core objects: what the queries in `sql_*.py` are built from.

Private to the store package. The schema a database actually has is built by `migrations.py`;
`tests/store/test_migrations.py` checks that the two agree, so edit both together.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Dialect,
    Enum,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.types import TypeEngine

from hatchetd.contracts.enums import (
    CancelReason,
    RunStatus,
    StepRunStatus,
    TriggerKind,
    WorkerStatus,
)

# -- column types ---------------------------------------------------------------------------------


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


# -- tables ---------------------------------------------------------------------------------------

metadata = MetaData()

events = Table(
    "events",
    metadata,
    Column("id", id_type(), primary_key=True),
    Column("key", Text, nullable=False),
    Column("data", ordered_json_type(), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("replayed_from_id", id_type(), ForeignKey("events.id"), nullable=True),
    Column("idempotency_key", Text, nullable=True),
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

workflow_versions = Table(
    "workflow_versions",
    metadata,
    Column("id", id_type(), primary_key=True),
    Column("workflow_name", Text, nullable=False),
    Column("version", Text, nullable=True),
    Column("definition", ordered_json_type(), nullable=False),
    Column("file", Text, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Index("ix_workflow_versions_workflow_name", "workflow_name", "created_at"),
)

workflows = Table(
    "workflows",
    metadata,
    Column("name", Text, primary_key=True),
    Column("current_version_id", id_type(), ForeignKey("workflow_versions.id"), nullable=False),
    Column("active", Boolean, nullable=False),
    Column("file", Text, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
)

workflow_runs = Table(
    "workflow_runs",
    metadata,
    Column("id", id_type(), primary_key=True),
    Column("workflow_name", Text, nullable=False),
    Column("workflow_version_id", id_type(), ForeignKey("workflow_versions.id"), nullable=False),
    Column("trigger", state_type(TriggerKind), nullable=False),
    Column("event_id", id_type(), ForeignKey("events.id"), nullable=True),
    Column("cron_tick_at", UtcDateTime, nullable=True),
    Column("status", state_type(RunStatus), nullable=False),
    Column("error", Text, nullable=True),
    Column("cancel_reason", state_type(CancelReason), nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("started_at", UtcDateTime, nullable=True),
    Column("finished_at", UtcDateTime, nullable=True),
    Column("version", Integer, nullable=False, server_default=text("0")),
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

job_runs = Table(
    "job_runs",
    metadata,
    Column("id", id_type(), primary_key=True),
    Column("workflow_run_id", id_type(), ForeignKey("workflow_runs.id"), nullable=False),
    # The job's place in its workflow; not part of the JobRun contract, only its order.
    Column("position", Integer, nullable=False),
    Column("job_name", Text, nullable=False),
    Column("status", state_type(RunStatus), nullable=False),
    Column("error", Text, nullable=True),
    Column("cancel_reason", state_type(CancelReason), nullable=True),
    Column("deadline_at", UtcDateTime, nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("started_at", UtcDateTime, nullable=True),
    Column("finished_at", UtcDateTime, nullable=True),
    Index("ix_job_runs_workflow_run_id", "workflow_run_id", "position"),
)

step_runs = Table(
    "step_runs",
    metadata,
    Column("id", id_type(), primary_key=True),
    Column("workflow_run_id", id_type(), ForeignKey("workflow_runs.id"), nullable=False),
    Column("job_run_id", id_type(), ForeignKey("job_runs.id"), nullable=False),
    Column("step_id", Text, nullable=False),
    Column("step_index", Integer, nullable=False),
    Column("action", Text, nullable=False),
    Column("attempt", Integer, nullable=False),
    Column("status", state_type(StepRunStatus), nullable=False),
    Column("input", json_type(), nullable=True),
    Column("output", json_type(), nullable=True),
    Column("error", Text, nullable=True),
    Column("cancel_reason", state_type(CancelReason), nullable=True),
    Column("worker_id", id_type(), nullable=True),
    Column("deadline_at", UtcDateTime, nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("assigned_at", UtcDateTime, nullable=True),
    Column("started_at", UtcDateTime, nullable=True),
    Column("finished_at", UtcDateTime, nullable=True),
    Index("ix_step_runs_job_run_id", "job_run_id"),
    Index("ix_step_runs_workflow_run_id", "workflow_run_id"),
    Index("ix_step_runs_status_action_created_at", "status", "action", "created_at"),
    Index("ix_step_runs_status_deadline_at", "status", "deadline_at"),
    Index("ix_step_runs_worker_id_status", "worker_id", "status"),
)

step_logs = Table(
    "step_logs",
    metadata,
    Column("id", log_id_type(), primary_key=True, autoincrement=True),
    Column("step_run_id", id_type(), ForeignKey("step_runs.id"), nullable=False),
    Column("at", UtcDateTime, nullable=False),
    Column("line", Text, nullable=False),
    Index("ix_step_logs_step_run_id", "step_run_id", "id"),
)

workers = Table(
    "workers",
    metadata,
    Column("id", id_type(), primary_key=True),
    Column("name", Text, nullable=False),
    Column("actions", json_type(), nullable=False),
    Column("slots", Integer, nullable=False),
    Column("status", state_type(WorkerStatus), nullable=False),
    Column("registered_at", UtcDateTime, nullable=False),
    Column("last_heartbeat_at", UtcDateTime, nullable=False),
    Column("replica_id", id_type(), nullable=True),
    Index("ix_workers_status", "status", "registered_at"),
)

replicas = Table(
    "replicas",
    metadata,
    Column("id", id_type(), primary_key=True),
    Column("host", Text, nullable=False),
    Column("pid", Integer, nullable=False),
    Column("started_at", UtcDateTime, nullable=False),
    Column("renewed_at", UtcDateTime, nullable=False),
    Column("stopped_at", UtcDateTime, nullable=True),
    Column("commit_seq", BigInteger(), nullable=False),
)

schema_migrations = Table(
    "schema_migrations",
    metadata,
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("name", Text, nullable=False),
    Column("applied_at", UtcDateTime, nullable=False),
)
