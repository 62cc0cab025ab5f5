"""Time, passed in: the engine never asks the system for the time itself.

Every time the engine writes (created, assigned, started, finished, deadlines, heartbeats) comes
from one `Clock`, so the tests drive time with `FakeClock` instead of sleeping.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    """Tells the engine what time it is."""

    def now(self) -> datetime:
        """The current time, timezone-aware, in UTC."""
        ...


class SystemClock:
    """The machine's clock."""

    def now(self) -> datetime:
        """The current time, timezone-aware, in UTC."""
        return datetime.now(UTC)


class FakeClock:
    """A clock that moves only when told to: `advance()` or `set()`."""

    DEFAULT_START = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
    """Where a `FakeClock` starts unless told otherwise."""

    def __init__(self, start: datetime = DEFAULT_START) -> None:
        self._now = _utc(start)

    def now(self) -> datetime:
        """The time the clock was last set to."""
        return self._now

    def advance(self, seconds: float | timedelta) -> datetime:
        """Move the clock forward and return the new time."""
        step = seconds if isinstance(seconds, timedelta) else timedelta(seconds=seconds)
        if step < timedelta(0):
            raise ValueError(f"a clock only moves forward, not by {step}")
        self._now += step
        return self._now

    def set(self, at: datetime) -> None:
        """Put the clock at `at` (timezone-aware)."""
        self._now = _utc(at)


def _utc(at: datetime) -> datetime:
    if at.tzinfo is None:
        # A naive time would be compared with the aware times the store returns and fail late.
        raise ValueError(f"{at.isoformat()} has no time zone: give a timezone-aware time")
    return at.astimezone(UTC)
