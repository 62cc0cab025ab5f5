"""Workflows and their versions: the registry's durable half."""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.dialects import postgresql, sqlite

from hatchetd.contracts.workflows import Workflow, WorkflowVersion
from hatchetd.store.sql_base import SqlBase
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
_VERSION_BY_ID = select(workflow_versions).where(workflow_versions.c.id == bindparam("id"))
_VERSIONS_OF = (
    select(workflow_versions)
    .where(workflow_versions.c.workflow_name == bindparam("name"))
    .order_by(workflow_versions.c.created_at, workflow_versions.c.id)
)
_WORKFLOW_BY_NAME = select(workflows).where(workflows.c.name == bindparam("name"))
_ALL_WORKFLOWS = select(workflows).order_by(workflows.c.name)


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
        with self._reading() as conn:
            rows = conn.execute(_VERSIONS_OF, {"name": workflow_name}).mappings().all()
        return [WorkflowVersion.model_validate(dict(row)) for row in rows]

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
            row = conn.execute(_WORKFLOW_BY_NAME, {"name": name}).mappings().first()
        return None if row is None else Workflow.model_validate(dict(row))

    def list_workflows(self) -> list[Workflow]:
        """Every workflow ever loaded, active or not, by name."""
        with self._reading() as conn:
            rows = conn.execute(_ALL_WORKFLOWS).mappings().all()
        return [Workflow.model_validate(dict(row)) for row in rows]
