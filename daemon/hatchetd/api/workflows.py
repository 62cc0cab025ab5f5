"""`/api/v1/workflows`: what the folder holds, which version is current, which files are broken;
and starting a workflow by hand."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request, Response

from hatchetd.api.body import ENVELOPE_BYTES, BodyRules, check_payload_size, read_body
from hatchetd.api.errors import ApiError
from hatchetd.api.openapi import STORE, errors, json_body
from hatchetd.api.services import DRAIN_RETRY_AFTER, Services, ServicesDep
from hatchetd.contracts.api import (
    MAX_PAYLOAD_BYTES,
    FileErrors,
    StartRun,
    WorkflowInfo,
    WorkflowList,
)
from hatchetd.contracts.runs import WorkflowRun
from hatchetd.contracts.storable_schema import NO_NUL
from hatchetd.contracts.workflows import Workflow, WorkflowVersion
from hatchetd.engine.serving import Serving, actions_of

WorkflowName = Annotated[str, Path(description="the workflow's name", pattern=NO_NUL)]
"""A workflow's `name:` (any text but a NUL, which no name can hold)."""

router = APIRouter(prefix="/api/v1/workflows", tags=["workflows"])

_START = BodyRules(
    max_bytes=MAX_PAYLOAD_BYTES + ENVELOPE_BYTES,
    limit=f"a run's input is limited to {MAX_PAYLOAD_BYTES:,} bytes (1 MiB)",
    envelope=1,  # {"input": …}
)


def _info(
    services: Services, workflow: Workflow, errors: dict[str, list[str]], serving: Serving
) -> WorkflowInfo:
    version = services.store.get_workflow_version(workflow.current_version_id)
    triggers = version.definition.get("triggers", {}) if version else {}
    unserved = serving.unserved(actions_of(version)) if version and workflow.active else []
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
        unserved_actions=unserved,
    )


def _broken(services: Services) -> dict[str, list[str]]:
    if services.reload is None:
        return {}
    return {f.file: list(f.errors) for f in services.reload.files if f.errors}


@router.get("", response_model=WorkflowList, responses=errors(*STORE))
def list_workflows(services: ServicesDep) -> WorkflowList:
    """Every workflow ever loaded (active or not), with the actions of each that no connected
    worker serves, and every file that does not load now."""
    broken = _broken(services)
    serving = Serving.read(services.store)
    return WorkflowList(
        workflows=[_info(services, w, broken, serving) for w in services.store.list_workflows()],
        broken_files=[FileErrors(file=f, errors=e) for f, e in sorted(broken.items())],
    )


@router.get("/{name}", response_model=WorkflowInfo, responses=errors(404, *STORE))
def get_workflow(name: WorkflowName, services: ServicesDep) -> WorkflowInfo:
    """One workflow by name."""
    workflow = services.store.get_workflow(name)
    if workflow is None:
        raise ApiError(404, "not_found", f"no workflow named {name!r}")
    return _info(services, workflow, _broken(services), Serving.read(services.store))


@router.get("/{name}/versions", response_model=list[WorkflowVersion], responses=errors(404, *STORE))
def list_versions(name: WorkflowName, services: ServicesDep) -> list[WorkflowVersion]:
    """Every version of a workflow, oldest first, with its definition."""
    if services.store.get_workflow(name) is None:
        raise ApiError(404, "not_found", f"no workflow named {name!r}")
    return services.store.list_workflow_versions(name)


@router.post(
    "/{name}/runs",
    status_code=201,
    response_model=WorkflowRun,
    openapi_extra=json_body(StartRun),
    responses={
        200: {
            "model": WorkflowRun,
            "description": "The run started before with this idempotency key and input, as it "
            "is now.",
        },
        **errors(400, 404, 409, 413, 422, *STORE),
    },
)
async def start_run(
    name: WorkflowName, request: Request, response: Response, services: ServicesDep
) -> WorkflowRun:
    """Start a run of the workflow's active version by hand, whatever its triggers, with an
    input that templates read as they read an event's payload; answered once it is durable."""
    if services.draining:  # began while this request was on its way in
        raise ApiError(
            503,
            "unavailable",
            "hatchetd is shutting down and starts no new runs",
            retry_after=DRAIN_RETRY_AFTER,
        )
    body, size = await read_body(request, StartRun, _START)
    check_payload_size(body.input, size, what="the run's input")
    outcome = await services.runtime.call(
        lambda e: e.start_run(name, body.input, idempotency_key=body.idempotency_key)
    )
    if not outcome.created:
        response.status_code = 200
    return outcome.run
