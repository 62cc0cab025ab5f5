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
    reload_pending: bool = False
    """A reload failed because the database was in trouble; it is retried once it is back."""
    reloads: int = field(default=0)
    """How many reloads have completed (tests wait on it)."""
    changes: ChangeHub = field(default_factory=ChangeHub)
    """The change stream's subscribers."""
    in_flight: int = 0
    """HTTP requests being handled now (`DrainGate` counts them; not the change stream)."""
    stop_by: float | None = None
    """The monotonic time by which a draining daemon must have exited (the drain timeout)."""

    def drain(self) -> None:
        """Start shutting down: refuse new requests and registrations, assign nothing more, and
        end the change streams, whose open connections would otherwise hold the shutdown.
        Running steps' results are still taken."""
        if self.draining:
            return
        self.draining = True
        self.changes.close()
        self.runtime.post(lambda engine: engine.stop_assigning(), defer=True)

    @property
    def drained(self) -> bool:
        """Nothing left to wait for: no request in flight and no step held by a connected
        worker (whose result would still come)."""
        return self.in_flight == 0 and self.runtime.held == 0


async def get_services(request: Request) -> Services:
    # async so FastAPI does not hop to its thread pool for it on every request
    services: Services = request.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(get_services)]
