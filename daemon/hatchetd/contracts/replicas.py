"""Replicas: the hatchetd processes that have served a store, each with a lease it renews."""

from __future__ import annotations

from datetime import datetime, timedelta

from pydantic import BaseModel, ConfigDict

REPLICA_LEASE = timedelta(seconds=15)
"""A running daemon renews its row at least every 10 s (every second while work is in flight):
one not renewed for this long is taken for dead."""


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

    def alive_at(self, now: datetime) -> bool:
        """Whether the daemon is running at `now`, as far as its row tells: not stopped, and
        renewed within `REPLICA_LEASE`."""
        return self.stopped_at is None and now - self.renewed_at <= REPLICA_LEASE
