"""What the routes share: the store, the runtime, the worker sockets, the registry's state."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Request

from hatchetd.api.change_hub import ChangeHub
from hatchetd.api.sessions import WorkerSessions
from hatchetd.runtime import Runtime
from hatchetd.settings import Settings
from hatchetd.store import Store
from hatchetd.workflows.registry import Registry, ReloadOutcome

DRAIN_RETRY_AFTER = 5
"""`Retry-After` seconds while shutting down: about how long a restart takes."""


@dataclass
class Services:
    """Built once per app by the lifespan; routes get it through `ServicesDep`."""

    settings: Settings
    store: Store
    runtime: Runtime
    registry: Registry
    sessions: WorkerSessions
    started_at: datetime
    reload: ReloadOutcome | None = None
    """The last reload's outcome (broken files and their errors)."""
    draining: bool = False
    """Set on SIGTERM: pushes get 503 while in-flight work finishes."""
    address: str = ""
    """Where the daemon listens, once it does."""
    reloads: int = field(default=0)
    """How many reloads have completed (tests wait on it)."""
    changes: ChangeHub = field(default_factory=ChangeHub)
    """The change stream's subscribers."""

    def drain(self) -> None:
        """Start shutting down: refuse new pushes and end the change streams, whose open
        connections would otherwise hold the server's graceful shutdown."""
        self.draining = True
        self.changes.close()


async def get_services(request: Request) -> Services:
    # async so FastAPI does not hop to its thread pool for it on every request
    services: Services = request.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(get_services)]
