"""Probes: `/livez` (the process answers) and `/readyz` (it can take work)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from hatchetd.api.services import ServicesDep

router = APIRouter(tags=["health"])


@router.get("/livez")
async def livez() -> dict[str, str]:
    """The daemon process is up."""
    return {"status": "ok"}


@router.get("/readyz", response_model=None)
async def readyz(services: ServicesDep) -> JSONResponse | dict[str, str]:
    """The daemon has loaded its folder and is not draining."""
    if services.draining:
        return JSONResponse(
            {"error": {"code": "unavailable", "message": "hatchetd is shutting down"}},
            status_code=503,
        )
    if services.reload is None:
        return JSONResponse(
            {"error": {"code": "unavailable", "message": "the workflow folder is not loaded yet"}},
            status_code=503,
        )
    return {"status": "ready"}
