"""`/api/v1/workers`: who is connected, their last heartbeat, what they are running."""

from __future__ import annotations

from fastapi import APIRouter

from hatchetd.api.openapi import STORE, errors
from hatchetd.api.services import ServicesDep
from hatchetd.contracts.api import WorkerInfo
from hatchetd.contracts.enums import StepRunStatus

router = APIRouter(prefix="/api/v1/workers", tags=["workers"])

_BUSY = (StepRunStatus.ASSIGNED, StepRunStatus.RUNNING)


@router.get("", response_model=list[WorkerInfo], responses=errors(*STORE))
def list_workers(services: ServicesDep) -> list[WorkerInfo]:
    """Workers, newest registration first, with the step runs they hold."""
    busy: dict[str, list[str]] = {}
    for step in services.store.list_step_runs(statuses=_BUSY):
        if step.worker_id is not None:
            busy.setdefault(step.worker_id, []).append(step.id)
    return [
        WorkerInfo(worker=w, running_step_run_ids=busy.get(w.id, []))
        for w in services.store.list_workers()
    ]
