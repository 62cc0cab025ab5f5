"""Workflows and their versions: the registry's durable half."""

from __future__ import annotations

from typing import Any

import sqlmodel
from sqlalchemy import bindparam, select
from sqlalchemy.dialects import postgresql, sqlite

from hatchetd.contracts.workflows import Workflow, WorkflowVersion
from hatchetd.store.sql_base import SqlBase, get_row, select_rows
from hatchetd.store.table_models import WorkflowRow, WorkflowVersionRow
from hatchetd.store.tables import workflow_versions, workflows


def _insert_version_if_new(insert: Any) -> Any:
    return insert(workflow_versions).on_conflict_do_nothing(index_elements=["id"])


def _upsert_workflow(insert: Any) -> Any:
    stmt = insert(workflows)
    changed = ("current_version_id", "active", "file", "updated_at")
    return stmt.on_conflict_do_update(
        index_elements=["name"], set_={name: stmt.excluded[name] for name in changed}
    )


# Both dialects spell "insert unless present" as INSERT … ON CONFLICT, but SQLAlchemy builds it
# from each dialect's own insert(); built once per dialect.
_INSERTS = {"sqlite": sqlite.insert, "postgresql": postgresql.insert}
_INSERT_VERSION = {name: _insert_version_if_new(insert) for name, insert in _INSERTS.items()}
_UPSERT_WORKFLOW = {name: _upsert_workflow(insert) for name, insert in _INSERTS.items()}
# A version by id is read once per file on every reload and once per workflow by the API's
# listing: Core, for which the ORM costs about twice as much per statement.
_VERSION_BY_ID = select(workflow_versions).where(workflow_versions.c.id == bindparam("id"))
_ALL_WORKFLOWS = sqlmodel.select(WorkflowRow).order_by(sqlmodel.col(WorkflowRow.name))


class WorkflowsSql(SqlBase):
    """The workflow half of `SqlStore`."""

    def save_workflow_version(self, version: WorkflowVersion) -> WorkflowVersion:
        """Store a version unless one with its checksum exists; return the stored one."""
        row = {
            "id": version.id,
            "workflow_name": version.workflow_name,
            "version": version.version,
            "definition": version.definition,
            "file": version.file,
            "created_at": version.created_at,
        }
        with self._writing() as conn:
            conn.execute(_INSERT_VERSION[self._dialect], row)
            stored = conn.execute(_VERSION_BY_ID, {"id": version.id}).mappings().one()
        return WorkflowVersion.model_validate(dict(stored))

    def get_workflow_version(self, version_id: str) -> WorkflowVersion | None:
        """One version by checksum."""
        with self._reading() as conn:
            row = conn.execute(_VERSION_BY_ID, {"id": version_id}).mappings().first()
        return None if row is None else WorkflowVersion.model_validate(dict(row))

    def list_workflow_versions(self, workflow_name: str) -> list[WorkflowVersion]:
        """Every version of a workflow, oldest first."""
        stmt = (
            sqlmodel.select(WorkflowVersionRow)
            .where(sqlmodel.col(WorkflowVersionRow.workflow_name) == workflow_name)
            .order_by(
                sqlmodel.col(WorkflowVersionRow.created_at), sqlmodel.col(WorkflowVersionRow.id)
            )
        )
        with self._reading() as conn:
            rows = select_rows(conn, stmt)
        return [WorkflowVersion.model_validate(row, from_attributes=True) for row in rows]

    def save_workflow(self, workflow: Workflow) -> None:
        """Create or replace the workflow of that name."""
        row = {
            "name": workflow.name,
            "current_version_id": workflow.current_version_id,
            "active": workflow.active,
            "file": workflow.file,
            "updated_at": workflow.updated_at,
        }
        with self._writing() as conn:
            conn.execute(_UPSERT_WORKFLOW[self._dialect], row)
        self._written(workflow)

    def get_workflow(self, name: str) -> Workflow | None:
        """One workflow by name."""
        with self._reading() as conn:
            row = get_row(conn, WorkflowRow, name)
        return None if row is None else Workflow.model_validate(row, from_attributes=True)

    def list_workflows(self) -> list[Workflow]:
        """Every workflow ever loaded, active or not, by name."""
        with self._reading() as conn:
            rows = select_rows(conn, _ALL_WORKFLOWS)
        return [Workflow.model_validate(row, from_attributes=True) for row in rows]
