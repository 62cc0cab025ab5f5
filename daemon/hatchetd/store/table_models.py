"""The store's tables, declared once, as SQLModel classes: one class per table.

Every column names its SQLAlchemy type (`column_types.py`) rather than letting SQLModel derive
one from the annotation: SQLModel would make `str` a VARCHAR and an enum a native enum type,
and the schema must stay exactly what the migrations build. The annotation still decides
nullability: `X | None` is a nullable column, anything else NOT NULL.

`tables.py` hands the `Table` each class builds to the queries in `sql_*.py`, which stay
SQLAlchemy Core (the hot path compiles them once, `sql_prepared.py`). The read paths that return
whole rows of the small tables select these classes in an ORM session and convert them to
`hatchetd.contracts` models at the store's edge: no row class crosses the `Store` protocol.

The schema a database actually has is built by `migrations.py`; `tests/store/test_migrations.py`
checks that it is exactly what these classes declare, so change both together.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Boolean, Index, Integer, Text, text
from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel

from hatchetd.contracts.enums import (
    CancelReason,
    RunStatus,
    StepRunStatus,
    TriggerKind,
    WorkerStatus,
)
from hatchetd.store.column_types import (
    UtcDateTime,
    id_type,
    json_type,
    log_id_type,
    ordered_json_type,
    state_type,
)


class StoreRow(SQLModel, registry=registry()):
    """The base of the store's table classes, with a registry and `MetaData` of its own.

    The global `SQLModel.metadata` is shared by every SQLModel user in the process (a user's
    own tests, say): a table of theirs named `events` would clash with ours, and our
    `create_all` would create theirs.

    The attribute docstrings below are for the reader only: pydantic's
    `use_attribute_docstrings` would read this file's source at import, a third of the
    module's import time, for descriptions nothing shows.
    """


def _partial_unique(name: str, *columns: str, where: str) -> Index:
    """A unique index over the rows where `where` holds; rows outside it cost nothing."""
    return Index(
        name,
        *columns,
        unique=True,
        sqlite_where=text(where),
        postgresql_where=text(where),
    )


class EventRow(StoreRow, table=True):
    """A pushed or replayed event."""

    __tablename__ = "events"
    __table_args__ = (
        Index("ix_events_key_created_at", "key", "created_at", "id"),
        Index("ix_events_created_at", "created_at", "id"),
        Index("ix_events_replayed_from_id", "replayed_from_id"),
        _partial_unique(
            "uq_events_idempotency_key", "idempotency_key", where="idempotency_key IS NOT NULL"
        ),
    )

    id: str = Field(sa_type=id_type(), primary_key=True)
    key: str = Field(sa_type=Text)
    data: dict[str, Any] = Field(sa_type=ordered_json_type())
    """The payload, with its keys in the order they were pushed."""
    created_at: datetime = Field(sa_type=UtcDateTime)
    replayed_from_id: str | None = Field(sa_type=id_type(), foreign_key="events.id")
    """The event this one replays."""
    idempotency_key: str | None = Field(sa_type=Text)


class WorkflowVersionRow(StoreRow, table=True):
    """One definition of a workflow; never changed or deleted, because runs keep it."""

    __tablename__ = "workflow_versions"
    __table_args__ = (Index("ix_workflow_versions_workflow_name", "workflow_name", "created_at"),)

    id: str = Field(sa_type=id_type(), primary_key=True)
    """The checksum of the normalised definition."""
    workflow_name: str = Field(sa_type=Text)
    version: str | None = Field(sa_type=Text)
    """The file's `version:` text, verbatim."""
    definition: dict[str, Any] = Field(sa_type=ordered_json_type())
    """The normalised spec; its `jobs:` order is the order job runs are shown in."""
    file: str = Field(sa_type=Text)
    created_at: datetime = Field(sa_type=UtcDateTime)


class WorkflowRow(StoreRow, table=True):
    """A workflow by name: its current version and whether its file still exists."""

    __tablename__ = "workflows"

    name: str = Field(sa_type=Text, primary_key=True)
    current_version_id: str = Field(sa_type=id_type(), foreign_key="workflow_versions.id")
    active: bool = Field(sa_type=Boolean)
    """False once its file is deleted; its history stays."""
    file: str = Field(sa_type=Text)
    updated_at: datetime = Field(sa_type=UtcDateTime)


class WorkflowRunRow(StoreRow, table=True):
    """A run of a workflow version, started by an event, a cron tick or by hand."""

    __tablename__ = "workflow_runs"
    __table_args__ = (
        Index("ix_workflow_runs_event_id", "event_id"),
        Index("ix_workflow_runs_workflow_name_created_at", "workflow_name", "created_at", "id"),
        Index("ix_workflow_runs_status_created_at", "status", "created_at", "id"),
        Index("ix_workflow_runs_created_at", "created_at", "id"),
        Index("ix_workflow_runs_rerun_of_id", "rerun_of_id"),
        _partial_unique(
            "uq_workflow_runs_cron_tick",
            "workflow_name",
            "cron_tick_at",
            where="cron_tick_at IS NOT NULL",
        ),
        _partial_unique(
            "uq_workflow_runs_idempotency_key",
            "idempotency_key",
            where="idempotency_key IS NOT NULL",
        ),
    )

    id: str = Field(sa_type=id_type(), primary_key=True)
    workflow_name: str = Field(sa_type=Text)
    workflow_version_id: str = Field(sa_type=id_type(), foreign_key="workflow_versions.id")
    trigger: TriggerKind = Field(sa_type=state_type(TriggerKind))
    event_id: str | None = Field(sa_type=id_type(), foreign_key="events.id")
    """The event that started it; None for a cron or manual run."""
    cron_tick_at: datetime | None = Field(sa_type=UtcDateTime)
    """The cron tick that started it: one run per workflow and tick."""
    status: RunStatus = Field(sa_type=state_type(RunStatus))
    error: str | None = Field(sa_type=Text)
    cancel_reason: CancelReason | None = Field(sa_type=state_type(CancelReason))
    created_at: datetime = Field(sa_type=UtcDateTime)
    started_at: datetime | None = Field(sa_type=UtcDateTime)
    finished_at: datetime | None = Field(sa_type=UtcDateTime)
    version: int = Field(sa_type=Integer, sa_column_kwargs={"server_default": text("0")})
    """Bumped by every transaction that changes the run: a daemon whose memory of the run is
    older knows that another daemon moved it on."""
    input: dict[str, Any] | None = Field(sa_type=ordered_json_type())
    """What a MANUAL run was started with, its keys in the order sent (migration 5); None for
    the others."""
    idempotency_key: str | None = Field(sa_type=Text)
    """A MANUAL run's idempotency key: one run per key (migration 5)."""
    rerun_of_id: str | None = Field(sa_type=id_type(), foreign_key="workflow_runs.id")
    """The run this one reruns (migration 6)."""


class JobRunRow(StoreRow, table=True):
    """A job of a workflow run."""

    __tablename__ = "job_runs"
    __table_args__ = (Index("ix_job_runs_workflow_run_id", "workflow_run_id", "position"),)

    id: str = Field(sa_type=id_type(), primary_key=True)
    workflow_run_id: str = Field(sa_type=id_type(), foreign_key="workflow_runs.id")
    position: int = Field(sa_type=Integer)
    """The job's place in its workflow; not part of the JobRun contract, only its order."""
    job_name: str = Field(sa_type=Text)
    status: RunStatus = Field(sa_type=state_type(RunStatus))
    error: str | None = Field(sa_type=Text)
    cancel_reason: CancelReason | None = Field(sa_type=state_type(CancelReason))
    deadline_at: datetime | None = Field(sa_type=UtcDateTime)
    """When the job's `timeout` runs out."""
    created_at: datetime = Field(sa_type=UtcDateTime)
    started_at: datetime | None = Field(sa_type=UtcDateTime)
    finished_at: datetime | None = Field(sa_type=UtcDateTime)


class StepRunRow(StoreRow, table=True):
    """One attempt at a step."""

    __tablename__ = "step_runs"
    __table_args__ = (
        Index("ix_step_runs_job_run_id", "job_run_id"),
        Index("ix_step_runs_workflow_run_id", "workflow_run_id"),
        # The dispatcher's question: the waiting work for an action, oldest first.
        Index("ix_step_runs_status_action_created_at", "status", "action", "created_at"),
        # The ticker's question: which deadlines have passed.
        Index("ix_step_runs_status_deadline_at", "status", "deadline_at"),
        # Liveness: a lost worker's step runs.
        Index("ix_step_runs_worker_id_status", "worker_id", "status"),
    )

    id: str = Field(sa_type=id_type(), primary_key=True)
    workflow_run_id: str = Field(sa_type=id_type(), foreign_key="workflow_runs.id")
    job_run_id: str = Field(sa_type=id_type(), foreign_key="job_runs.id")
    step_id: str = Field(sa_type=Text)
    step_index: int = Field(sa_type=Integer)
    action: str = Field(sa_type=Text)
    attempt: int = Field(sa_type=Integer)
    """From 1; a result for an older attempt is refused (fencing)."""
    status: StepRunStatus = Field(sa_type=state_type(StepRunStatus))
    input: Any | None = Field(sa_type=json_type())
    """The rendered `with:`; JSONB on PostgreSQL, read whole by the engine."""
    output: Any | None = Field(sa_type=json_type())
    error: str | None = Field(sa_type=Text)
    cancel_reason: CancelReason | None = Field(sa_type=state_type(CancelReason))
    worker_id: str | None = Field(sa_type=id_type())
    """No foreign key: the worker's row may be replaced when it registers again."""
    deadline_at: datetime | None = Field(sa_type=UtcDateTime)
    """The next deadline of its current state (scheduling, then execution)."""
    created_at: datetime = Field(sa_type=UtcDateTime)
    assigned_at: datetime | None = Field(sa_type=UtcDateTime)
    started_at: datetime | None = Field(sa_type=UtcDateTime)
    finished_at: datetime | None = Field(sa_type=UtcDateTime)


class StepLogRow(StoreRow, table=True):
    """A log line a step sent."""

    __tablename__ = "step_logs"
    __table_args__ = (Index("ix_step_logs_step_run_id", "step_run_id", "id"),)

    id: int = Field(
        sa_type=log_id_type(), primary_key=True, sa_column_kwargs={"autoincrement": True}
    )
    """Assigned by the database: the order the lines were stored in."""
    step_run_id: str = Field(sa_type=id_type(), foreign_key="step_runs.id")
    at: datetime = Field(sa_type=UtcDateTime)
    line: str = Field(sa_type=Text)


class WorkerRow(StoreRow, table=True):
    """A worker connection; a worker that reconnects after being lost gets a new row."""

    __tablename__ = "workers"
    __table_args__ = (Index("ix_workers_status", "status", "registered_at"),)

    id: str = Field(sa_type=id_type(), primary_key=True)
    name: str = Field(sa_type=Text)
    actions: list[str] = Field(sa_type=json_type())
    slots: int = Field(sa_type=Integer)
    status: WorkerStatus = Field(sa_type=state_type(WorkerStatus))
    registered_at: datetime = Field(sa_type=UtcDateTime)
    last_heartbeat_at: datetime = Field(sa_type=UtcDateTime)
    replica_id: str | None = Field(sa_type=id_type())
    """The daemon its socket is connected to (migration 4; None for older rows)."""


class ReplicaRow(StoreRow, table=True):
    """A hatchetd process that has served this database."""

    __tablename__ = "replicas"

    id: str = Field(sa_type=id_type(), primary_key=True)
    host: str = Field(sa_type=Text)
    pid: int = Field(sa_type=Integer)
    started_at: datetime = Field(sa_type=UtcDateTime)
    renewed_at: datetime = Field(sa_type=UtcDateTime)
    """Its lease: renewed as it commits."""
    stopped_at: datetime | None = Field(sa_type=UtcDateTime)
    """Set when it exits cleanly; None while it runs or after a crash."""
    commit_seq: int = Field(sa_type=BigInteger)
    """The number of its last committed batch, read back after a commit whose answer was lost."""


class SchemaMigrationRow(StoreRow, table=True):
    """A migration applied to this database (`migrations.py`)."""

    __tablename__ = "schema_migrations"

    version: int = Field(
        sa_type=Integer, primary_key=True, sa_column_kwargs={"autoincrement": False}
    )
    name: str = Field(sa_type=Text)
    applied_at: datetime = Field(sa_type=UtcDateTime)
