"""Workers: processes of the user's that registered actions and run step runs (design §8)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict

from hatchetd.contracts.enums import WorkerStatus


class Worker(BaseModel):
    """A worker connection; a worker that reconnects after being lost gets a new identity."""

    model_config = ConfigDict(use_attribute_docstrings=True, frozen=True)

    id: str
    """This connection's identity."""
    name: str
    """The name the worker registered with."""
    actions: list[str]
    """The actions it can run."""
    slots: int
    """How many step runs it runs at once."""
    status: WorkerStatus = WorkerStatus.ACTIVE
    """ACTIVE, DRAINING (shutting down: finishing what it started, given nothing new), LOST
    (missed its heartbeats) or STOPPED (disconnected cleanly)."""
    registered_at: datetime
    """When it registered."""
    last_heartbeat_at: datetime
    """When it was last heard from."""
    replica_id: str | None = None
    """The hatchetd replica its socket is connected to (None for a worker registered before
    daemons recorded it)."""


CONNECTED = (WorkerStatus.ACTIVE, WorkerStatus.DRAINING)
"""The stored statuses of a worker whose socket is open."""
