"""Probes: `/livez` (the process answers) and `/readyz` (it can take work now)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from hatchetd.api.errors import error_response, trouble_message
from hatchetd.api.openapi import errors
from hatchetd.api.services import DRAIN_RETRY_AFTER, ServicesDep

router = APIRouter(tags=["health"])


@router.get("/livez")
async def livez() -> dict[str, str]:
    """The daemon process is up (even while its database is not: see `/readyz`)."""
    return {"status": "ok"}


@router.get("/readyz", response_model=None, responses=errors(503))
async def readyz(services: ServicesDep) -> JSONResponse | dict[str, str]:
    """The daemon can take work: its database takes writes, its folder is loaded, and it is
    not shutting down. A 503 says which of these is not so, with `Retry-After`."""
    if services.draining:
        return error_response(
            503, "unavailable", "hatchetd is shutting down", retry_after=DRAIN_RETRY_AFTER
        )
    outage = services.runtime.outage
    trouble = outage.trouble
    if trouble is not None:  # 503 whatever the trouble: a probe asks "can it work now?"
        return error_response(
            503, trouble.code, trouble_message(trouble), retry_after=outage.retry_after()
        )
    if services.reload is None:
        return error_response(
            503, "unavailable", "the workflow folder is not loaded yet", retry_after=1
        )
    return {"status": "ready"}
