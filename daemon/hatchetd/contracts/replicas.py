"""Replicas: the hatchetd processes that have served a store, each with a lease it renews."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict


class Replica(BaseModel):
    """One hatchetd process's record in the store.

    The daemon renews it while it runs and marks it stopped when it exits cleanly. A restarted
    daemon reads the last renewal of the one before to learn when the outage began, so that
    deadlines measure work, not downtime.
    """

    model_config = ConfigDict(use_attribute_docstrings=True, frozen=True)

    id: str
    """This process's identity (new at every start)."""
    host: str
    """The machine it runs on."""
    pid: int
    """Its process id there."""
    started_at: datetime
    """When it opened the store."""
    renewed_at: datetime
    """When it last committed to the store or renewed its lease (at most a few seconds ago
    while it runs and has work in flight)."""
    stopped_at: datetime | None = None
    """When it shut down cleanly; None while running or after a crash."""
    commit_seq: int = 0
    """How many of its batches it has committed: after a commit whose answer was lost, the
    daemon reads this to learn whether the commit happened."""
