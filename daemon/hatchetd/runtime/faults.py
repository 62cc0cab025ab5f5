"""Test-only crash points: `HATCHETD_FAULT=crash:<point>[@<n>]` kills the daemon there.

The reliability tests prove that a `kill -9` at the worst moments loses and duplicates nothing:
after an event is inserted but before its batch commits, after a commit but before the callers
are answered, after an assignment is committed but before it is sent, after a result is
committed but before it is acknowledged. A real kill at a chosen point makes those moments
reproducible; `@<n>` picks the n-th time the point is reached (default the first).

The process kills itself with SIGKILL — the same signal the tests would send — so no `finally`
block, atexit hook or buffered write runs. Unset (always, outside tests) each point costs one
attribute read.
"""

from __future__ import annotations

import logging
import os
import signal
from collections.abc import Mapping

log = logging.getLogger("hatchetd.faults")

POINTS = frozenset(
    {
        "after_event_insert",
        "after_commit_before_ack",
        "after_assign_commit",
        "after_result_commit",
    }
)
"""Where a crash can be injected."""
VARIABLE = "HATCHETD_FAULT"


class FaultError(ValueError):
    """`HATCHETD_FAULT` does not name a crash point."""


class Faults:
    """The crash point the environment asked for, if any."""

    def __init__(self, point: str | None = None, nth: int = 1) -> None:
        if point is not None and point not in POINTS:
            raise FaultError(
                f"{VARIABLE}: unknown crash point {point!r}; one of {', '.join(sorted(POINTS))}"
            )
        if nth < 1:
            raise FaultError(f"{VARIABLE}: the count after @ must be 1 or more, not {nth}")
        self.point = point
        self._left = nth

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> Faults:
        """The faults `HATCHETD_FAULT` asks for (`crash:<point>[@<n>]`); none when unset."""
        text = environ.get(VARIABLE, "").strip()
        if not text:
            return cls()
        kind, _, rest = text.partition(":")
        if kind != "crash" or not rest:
            raise FaultError(f"{VARIABLE}: expected crash:<point>[@<n>], got {text!r}")
        point, _, count = rest.partition("@")
        try:
            nth = int(count) if count else 1
        except ValueError:
            raise FaultError(f"{VARIABLE}: {count!r} after @ is not a number") from None
        return cls(point, nth)

    def reached(self, point: str) -> None:
        """Crash here if this is the point (and the n-th time it is reached)."""
        if point != self.point:
            return
        self._left -= 1
        if self._left == 0:
            log.warning("%s=crash:%s: killing the daemon here", VARIABLE, point)
            os.kill(os.getpid(), signal.SIGKILL)
