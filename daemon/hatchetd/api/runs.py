"""`/api/v1/runs`: list, the full trace, wait for the end, cancel, rerun, logs (design §5)."""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from starlette.concurrency import run_in_threadpool

from hatchetd.api.body import BodyRules, read_body
from hatchetd.api.change_hub import Ended, Lagged
from hatchetd.api.errors import ApiError
from hatchetd.api.ids import resolve_id
from hatchetd.api.openapi import STORE, errors, json_body
from hatchetd.api.services import DRAIN_RETRY_AFTER, Services, ServicesDep
from hatchetd.contracts.api import MAX_BULK_EVENTS, RerunRun, RunList
from hatchetd.contracts.changes import ChangeKind
from hatchetd.contracts.enums import RunStatus
from hatchetd.contracts.ids import IdOrPrefix
from hatchetd.contracts.paging import Cursor
from hatchetd.contracts.runs import RunQuery, RunTrace, StepLog, WorkflowRun
from hatchetd.contracts.storable_schema import NO_NUL
from hatchetd.contracts.times import TimeBound
from hatchetd.engine.serving import with_waits

router = APIRouter(prefix="/api/v1/runs", tags=["runs"])
_ONE_RUN = errors(404, 409, 422, *STORE)
_RERUN = BodyRules(max_bytes=4096, limit="a rerun's request is limited to 4,096 bytes", envelope=0)
MAX_WAIT_SECONDS = 60.0
"""The longest one wait request is held open; a client waiting longer asks again."""


@router.get("", response_model=RunList, responses=errors(400, 404, 409, 422, *STORE))
def list_runs(
    services: ServicesDep,
    *,
    workflow: Annotated[
        str | None, Query(description="only runs of this workflow", pattern=NO_NUL)
    ] = None,
    status: Annotated[
        list[RunStatus] | None, Query(description="only runs in these states")
    ] = None,
    event_id: Annotated[
        IdOrPrefix | None, Query(description="only runs this event triggered")
    ] = None,
    since: Annotated[TimeBound | None, Query(description="created at or after (RFC 3339)")] = None,
    until: Annotated[TimeBound | None, Query(description="created before (RFC 3339)")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_BULK_EVENTS)] = 50,
    cursor: Annotated[Cursor | None, Query(description="next_cursor of the previous page")] = None,
) -> RunList:
    """Workflow runs, newest first, a page at a time."""
    if event_id is not None:
        event_id = resolve_id(event_id, "event", services.store.resolve_event_id)
    query = RunQuery(
        workflow_name=workflow,
        statuses=tuple(status or ()),
        event_id=event_id,
        since=since,
        until=until,
        limit=limit,
        cursor=cursor,
    )
    try:
        page = services.store.list_workflow_runs(query)
    except ValueError as exc:
        raise ApiError(400, "bad_cursor", str(exc)) from None
    return RunList(items=page.items, next_cursor=page.next_cursor)


def _run_id(services: Services, given: str) -> str:
    return resolve_id(given, "run", services.store.resolve_run_id)


def _trace(services: Services, run_id: str) -> RunTrace:
    trace = services.store.get_run_trace(run_id)
    if trace is None:
        raise ApiError(404, "not_found", f"no run with id {run_id!r}")
    return with_waits(trace, services.store)


@router.get("/{run_id}", response_model=RunTrace, responses=_ONE_RUN)
def get_run(run_id: IdOrPrefix, services: ServicesDep) -> RunTrace:
    """The run with every job run and step run: status, input, output, error, attempt, worker
    and the times each was created, assigned, started and finished; and why each step run that
    waits for a worker waits (`waiting`). A unique prefix of the id will do, here and in every
    `/runs/{run_id}` route."""
    return _trace(services, _run_id(services, run_id))


@router.get("/{run_id}/wait", response_model=RunTrace, responses=_ONE_RUN)
async def wait_for_run(
    run_id: IdOrPrefix,
    services: ServicesDep,
    timeout: Annotated[
        float,
        Query(
            ge=0,
            le=MAX_WAIT_SECONDS,
            description="seconds to wait at most (0: answer at once)",
        ),
    ] = 30.0,
) -> RunTrace:
    """The run's trace once it is final (SUCCEEDED, FAILED or CANCELLED), or as it is when
    `timeout` seconds have passed: the answer's `run.status` says which. Held open until then,
    following the change stream (nothing is polled); a 503 while the daemon shuts down."""
    run_id = await run_in_threadpool(_run_id, services, run_id)
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        # Subscribed before reading: an end committed after the read still comes as a change.
        subscription = services.changes.subscribe((ChangeKind.RUN,), (run_id,))
        try:
            trace = await run_in_threadpool(_trace, services, run_id)
            while not trace.run.status.is_final:
                left = deadline - asyncio.get_running_loop().time()
                if left <= 0:
                    return trace
                try:
                    item = await asyncio.wait_for(subscription.queue.get(), left)
                except TimeoutError:
                    return trace
                if isinstance(item, Ended):
                    raise ApiError(
                        503,
                        "unavailable",
                        "hatchetd is shutting down: wait again once it is back",
                        retry_after=DRAIN_RETRY_AFTER,
                    )
                if isinstance(item, Lagged):
                    break  # read again on a new subscription
                if item.status is not None and RunStatus(item.status).is_final:
                    trace = await run_in_threadpool(_trace, services, run_id)
            else:
                return trace
        finally:
            services.changes.unsubscribe(subscription)


@router.post("/{run_id}/cancel", response_model=RunTrace, responses=_ONE_RUN)
async def cancel_run(run_id: IdOrPrefix, services: ServicesDep) -> RunTrace:
    """Cancel every step run not yet final; workers running one are told to stop."""
    run_id = _run_id(services, run_id)
    await services.runtime.call(lambda e: e.cancel_run(run_id))
    return _trace(services, run_id)


@router.post(
    "/{run_id}/rerun",
    status_code=201,
    response_model=WorkflowRun,
    openapi_extra=json_body(RerunRun),
    responses={
        200: {
            "model": WorkflowRun,
            "description": "The rerun started before with this idempotency key, as it is now.",
        },
        **errors(400, 404, 409, 413, 422, *STORE),
    },
)
async def rerun_run(
    run_id: IdOrPrefix, request: Request, response: Response, services: ServicesDep
) -> WorkflowRun:
    """Start a new run of an ended run's workflow version (the one it ran, even if the file has
    changed since) with its trigger, event and input; with `from_failed`, the steps that
    succeeded keep their outputs and are not run again. The new run's `rerun_of_id` names the
    original, whose trace lists it in `rerun_ids`. A 409 if the run has not ended, or for
    `from_failed` if no step failed."""
    if services.draining:
        raise ApiError(
            503,
            "unavailable",
            "hatchetd is shutting down and starts no new runs",
            retry_after=DRAIN_RETRY_AFTER,
        )
    body, _ = await read_body(request, RerunRun, _RERUN)
    run_id = await run_in_threadpool(_run_id, services, run_id)
    outcome = await services.runtime.call(
        lambda e: e.rerun(
            run_id, from_failed=body.from_failed, idempotency_key=body.idempotency_key
        )
    )
    if not outcome.created:
        response.status_code = 200
    return outcome.run


@router.get("/{run_id}/logs", response_model=list[StepLog], responses=_ONE_RUN)
def run_logs(run_id: IdOrPrefix, services: ServicesDep) -> list[StepLog]:
    """Every line the run's steps logged, step by step."""
    trace = _trace(services, _run_id(services, run_id))
    return [
        line
        for job in trace.jobs
        for step in job.step_runs
        for line in services.store.list_step_logs(step.id)
    ]
