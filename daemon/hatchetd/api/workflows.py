"""`/api/v1/workflows`: what the folder holds, which version is current, which files are broken."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from hatchetd.api.errors import ApiError
from hatchetd.api.openapi import STORE, errors
from hatchetd.api.services import Services, ServicesDep
from hatchetd.contracts.api import FileErrors, WorkflowInfo, WorkflowList
from hatchetd.contracts.storable_schema import NO_NUL
from hatchetd.contracts.workflows import Workflow, WorkflowVersion

WorkflowName = Annotated[str, Path(description="the workflow's name", pattern=NO_NUL)]
"""A workflow's `name:` (any text but a NUL, which no name can hold)."""

router = APIRouter(prefix="/api/v1/workflows", tags=["workflows"])


def _info(services: Services, workflow: Workflow, errors: dict[str, list[str]]) -> WorkflowInfo:
    version = services.store.get_workflow_version(workflow.current_version_id)
    triggers = version.definition.get("triggers", {}) if version else {}
    return WorkflowInfo(
        name=workflow.name,
        active=workflow.active,
        version=version.version if version else None,
        version_id=workflow.current_version_id,
        file=workflow.file,
        events=list(triggers.get("events", [])),
        crons=list(triggers.get("crons", [])),
        errors=errors.get(workflow.file, []) if workflow.active else [],
        updated_at=workflow.updated_at,
    )


def _broken(services: Services) -> dict[str, list[str]]:
    if services.reload is None:
        return {}
    return {f.file: list(f.errors) for f in services.reload.files if f.errors}


@router.get("", response_model=WorkflowList, responses=errors(*STORE))
def list_workflows(services: ServicesDep) -> WorkflowList:
    """Every workflow ever loaded (active or not) and every file that does not load now."""
    broken = _broken(services)
    return WorkflowList(
        workflows=[_info(services, w, broken) for w in services.store.list_workflows()],
        broken_files=[FileErrors(file=f, errors=e) for f, e in sorted(broken.items())],
    )


@router.get("/{name}", response_model=WorkflowInfo, responses=errors(404, *STORE))
def get_workflow(name: WorkflowName, services: ServicesDep) -> WorkflowInfo:
    """One workflow by name."""
    workflow = services.store.get_workflow(name)
    if workflow is None:
        raise ApiError(404, "not_found", f"no workflow named {name!r}")
    return _info(services, workflow, _broken(services))


@router.get("/{name}/versions", response_model=list[WorkflowVersion], responses=errors(404, *STORE))
def list_versions(name: WorkflowName, services: ServicesDep) -> list[WorkflowVersion]:
    """Every version of a workflow, oldest first, with its definition."""
    if services.store.get_workflow(name) is None:
        raise ApiError(404, "not_found", f"no workflow named {name!r}")
    return services.store.list_workflow_versions(name)
