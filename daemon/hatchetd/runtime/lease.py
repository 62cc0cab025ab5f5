"""This daemon's replica row: registered at start, renewed as it commits, stopped at exit.

The row answers two questions after something went wrong. When did the daemon before this one
stop being heard from (so that deadlines can be re-based, `engine/rebase.py`)? And did a batch
whose commit never answered actually commit (its `commit_seq` is in the row if it did)?
"""

from __future__ import annotations

import os
import socket
import time
from datetime import datetime

from hatchetd.contracts.ids import new_id
from hatchetd.contracts.replicas import Replica
from hatchetd.store import Store

BUSY_RENEWAL = 1.0
"""Seconds between renewals while steps wait or run: an outage is dated to within this."""
OTHERS_CHECK = 1.0
"""Seconds between looks at whether other daemons serve the store (a new one is noticed within
this; it reads the store at start and once a second, so it misses nothing for long)."""
IDLE_RENEWAL = 10.0
"""Seconds between renewals while nothing is in flight (each renewal is a commit)."""


class Lease:
    """The replica row of this process and when to renew it. Used on the engine thread only."""

    def __init__(self, store: Store, started_at: datetime, replica_id: str | None = None) -> None:
        self._store = store
        self.replica = Replica(
            id=replica_id or new_id(),
            host=socket.gethostname(),
            pid=os.getpid(),
            started_at=started_at,
            renewed_at=started_at,
        )
        self.seq = 0
        """Batches with commands committed (or being committed) so far."""
        self._renewed = time.monotonic()
        self._others = True  # until the first look says otherwise
        self._others_checked = float("-inf")

    @property
    def id(self) -> str:
        return self.replica.id

    def register(self) -> datetime | None:
        """Record this replica (inside a batch); return when the store last heard from any
        earlier one (None for a store nothing has served before)."""
        previous = self._store.list_replicas()
        self._store.register_replica(self.replica)
        self._renewed = time.monotonic()
        return max((r.renewed_at for r in previous), default=None)

    def others_heard_after(self, since: datetime) -> datetime | None:
        """The last renewal of another daemon after `since`, if any: on a shared database the
        store was served then, whatever this daemon's outage."""
        latest = max(
            (r.renewed_at for r in self._store.list_replicas() if r.id != self.id),
            default=None,
        )
        return latest if latest is not None and latest > since else None

    def others_alive(self, now: datetime) -> bool:
        """Whether another daemon serves the store now (its row renewed lately), read at most
        once a second: a daemon alone on a shared database has nobody to notify."""
        if time.monotonic() >= self._others_checked + OTHERS_CHECK:
            self._others_checked = time.monotonic()
            self._others = any(
                r.alive_at(now) for r in self._store.list_replicas() if r.id != self.id
            )
        return self._others

    def renew(self, now: datetime, *, commands: bool, open_work: bool) -> None:
        """Inside a batch: renew if it carries commands (its `seq` marks the commit) or the
        last renewal is due; re-register if the row is gone (the store was restored, say)."""
        elapsed = time.monotonic() - self._renewed
        if not commands and elapsed < (BUSY_RENEWAL if open_work else IDLE_RENEWAL):
            return
        if commands:
            self.seq += 1
        if not self._store.renew_replica(self.id, now, self.seq):
            self.replica = self.replica.model_copy(update={"renewed_at": now})
            self._store.register_replica(self.replica)
            self._store.renew_replica(self.id, now, self.seq)
        self._renewed = time.monotonic()

    def committed(self, seq: int) -> bool:
        """Whether the batch numbered `seq` committed (read after a commit went unanswered)."""
        row = self._store.get_replica(self.id)
        return row is not None and row.commit_seq >= seq

    def stop(self, now: datetime) -> None:
        """Mark this replica stopped (a clean exit)."""
        self._store.stop_replica(self.id, now)
