"""The runtime's side of a database outage: what to tell callers, whom to keep waiting, and
how often to try again.

While the database is in trouble the engine thread runs no engine command. Callers are refused
at once with the trouble (the API answers 503 `database_unavailable` / 503 `database_locked` /
507 `storage_full` with `Retry-After`), except commands marked `defer`, which run once it is
back. A batch whose *commit* failed is different: the database may have committed it before the
connection dropped, so its callers are neither answered nor refused until the database is back
and the replica row says which it was (`Lease.committed`).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from hatchetd.engine import Clock
from hatchetd.store import Store
from hatchetd.store.errors import StoreFull, StoreTrouble, StoreUnavailable

if TYPE_CHECKING:
    from hatchetd.runtime.delivery import Command

FIRST_DELAY = 0.05
"""Seconds before the first attempt to reach the database again."""
MAX_DELAY = 1.0
"""The longest wait between attempts: the daemon is back within about a second of its
database."""

HEADROOM = 4 * 1024 * 1024
"""Bytes a full disk must have free again before the daemon takes work (a few largest pushes)."""

Settled = tuple[list["Command"], list["Command"], StoreTrouble | None]
"""An in-doubt batch's commands that committed after all, those that did not, and the trouble
to refuse the latter with."""


class Outage:
    """Whether the database is in trouble, and the work waiting for it to come back."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self.trouble: StoreTrouble | None = None
        """The trouble now, or None while the database takes work."""
        self.down_at: datetime | None = None
        """When the first batch failed (the deadlines' clock stopped then)."""
        self._since = 0.0
        self._delay = FIRST_DELAY
        self._committing: int | None = None
        self._in_doubt: tuple[int, list[Command]] | None = None
        self._deferred: list[Command] = []

    # -- batches ---------------------------------------------------------------------------------

    @property
    def committing_batch(self) -> int | None:
        """The number of the batch being committed now, if it has callers waiting."""
        return self._committing

    def committing(self, seq: int | None) -> None:
        """The batch numbered `seq` (None: it has no callers) is about to commit."""
        self._committing = seq

    def committed(self) -> None:
        """The commit went through."""
        self._committing = None

    def begin(self, trouble: StoreTrouble, *, down_at: datetime | None) -> int | None:
        """The database failed a batch (or could not be opened: `down_at` None). Returns the
        batch's number when the connection was lost at its commit, which may then have
        happened. (An error the database answered, full or locked, means it did not.)"""
        in_doubt, self._committing = self._committing, None
        if not isinstance(trouble, StoreUnavailable):
            in_doubt = None
        if self.trouble is None:
            self._since = time.monotonic()
            self._delay = FIRST_DELAY
            self.down_at = down_at
        self.trouble = trouble
        return in_doubt

    def hold(self, seq: int, commands: list[Command]) -> None:
        """Keep a batch whose commit may have happened until the database says."""
        self._in_doubt = (seq, commands)

    def keep(self, commands: list[Command]) -> None:
        """Commands to run once the database is back."""
        self._deferred.extend(commands)

    def settle(self, committed: Callable[[int], bool]) -> Settled:
        """Ask the database (inside the recovery's batch) whether the held batch committed; it
        stays held until `end()`, in case the recovery fails."""
        held = self._in_doubt
        if held is None:
            return [], [], None
        seq, commands = held
        if committed(seq):
            return commands, [], None
        return [], commands, self.trouble

    def take_deferred(self) -> list[Command]:
        """The commands kept for after the outage; they leave the outage's hands."""
        deferred, self._deferred = self._deferred, []
        return deferred

    def fail_deferred(self, fail: Callable[[list[Command], BaseException], None]) -> None:
        """The daemon is stopping: what still waits for the database fails."""
        trouble = self.trouble or StoreTrouble("hatchetd stopped before the database came back")
        waiting = self.take_deferred()
        if self._in_doubt is not None:
            waiting += self._in_doubt[1]
            self._in_doubt = None
        if waiting:
            fail(waiting, trouble)

    # -- probing ---------------------------------------------------------------------------------

    def next_delay(self) -> float:
        """How long to wait before the next attempt: doubling up to `MAX_DELAY`."""
        delay = self._delay
        self._delay = min(self._delay * 2, MAX_DELAY)
        return delay

    def still(self, trouble: StoreTrouble) -> None:
        """Another attempt failed, maybe with other trouble (locked, then unreachable)."""
        self.trouble = trouble

    def end(self) -> None:
        """The database took a write again (and the held batch is settled)."""
        self._in_doubt = None
        self.trouble = None
        self.down_at = None
        self._delay = FIRST_DELAY

    def duration(self) -> float:
        """Seconds since the trouble began."""
        return time.monotonic() - self._since

    def check_headroom(self, store: Store) -> None:
        """After the disk filled up, a tiny write succeeding is not enough: raise `StoreFull`
        until there is room for real work again, so `/readyz` does not flap between full and
        ready."""
        if not isinstance(self.trouble, StoreFull):
            return
        free = store.free_space()
        if free is not None and free < HEADROOM:
            raise StoreFull(
                f"the database's disk has {free:,} bytes free; hatchetd takes work again "
                f"once {HEADROOM:,} are"
            )

    def retry_after(self) -> int:
        """Seconds a client should wait before trying again (the `Retry-After` header)."""
        if isinstance(self.trouble, StoreFull):
            return 10  # freeing disk space is a person's job: do not hammer meanwhile
        return max(1, math.ceil(self._delay))
