"""The store's tables as SQLAlchemy Core `Table`s: what the queries in `sql_*.py` are built from.

Private to the store package. Each table is the one its SQLModel class in `table_models.py`
builds, so the columns are declared once; the queries stay Core, which the hot path compiles
once and runs straight on the driver (`sql_prepared.py`).
"""

from __future__ import annotations

from sqlalchemy import MetaData, Table

# Re-exported: the migrations, and any written before the types moved, import them from here.
from hatchetd.store.column_types import (
    UtcDateTime,
    id_type,
    json_type,
    log_id_type,
    ordered_json_type,
    state_type,
)
from hatchetd.store.table_models import (
    EventRow,
    JobRunRow,
    ReplicaRow,
    SchemaMigrationRow,
    StepLogRow,
    StepRunRow,
    StoreRow,
    WorkerRow,
    WorkflowRow,
    WorkflowRunRow,
    WorkflowVersionRow,
)

__all__ = [
    "UtcDateTime",
    "events",
    "id_type",
    "job_runs",
    "json_type",
    "log_id_type",
    "metadata",
    "ordered_json_type",
    "replicas",
    "schema_migrations",
    "state_type",
    "step_logs",
    "step_runs",
    "workers",
    "workflow_runs",
    "workflow_versions",
    "workflows",
]


def _table(row: type[StoreRow]) -> Table:
    table = row.__table__  # type: ignore[attr-defined]  # set by SQLAlchemy's declarative mapping
    assert isinstance(table, Table)
    return table


metadata: MetaData = StoreRow.metadata
"""Every table of the store, and nothing else (the row classes have a registry of their own)."""

events = _table(EventRow)
workflow_versions = _table(WorkflowVersionRow)
workflows = _table(WorkflowRow)
workflow_runs = _table(WorkflowRunRow)
job_runs = _table(JobRunRow)
step_runs = _table(StepRunRow)
step_logs = _table(StepLogRow)
workers = _table(WorkerRow)
replicas = _table(ReplicaRow)
schema_migrations = _table(SchemaMigrationRow)
