"""The fake clock the engine tests drive time with."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from hatchetd.engine import FakeClock, SystemClock


def test_it_moves_only_when_told() -> None:
    clock = FakeClock(datetime(2024, 1, 1, tzinfo=UTC))

    assert clock.now() == clock.now() == datetime(2024, 1, 1, tzinfo=UTC)
    assert clock.advance(1.5) == datetime(2024, 1, 1, 0, 0, 1, 500000, tzinfo=UTC)
    assert clock.advance(timedelta(minutes=1)) == datetime(2024, 1, 1, 0, 1, 1, 500000, tzinfo=UTC)


def test_it_keeps_time_in_utc() -> None:
    clock = FakeClock(datetime(2024, 1, 1, 2, tzinfo=timezone(timedelta(hours=2))))

    assert clock.now() == datetime(2024, 1, 1, tzinfo=UTC)
    assert clock.now().tzinfo is UTC


def test_it_refuses_naive_times_and_going_back() -> None:
    with pytest.raises(ValueError, match="no time zone"):
        FakeClock(datetime(2024, 1, 1))
    with pytest.raises(ValueError, match="only moves forward"):
        FakeClock().advance(-1)


def test_the_system_clock_is_aware_and_utc() -> None:
    assert SystemClock().now().tzinfo is UTC
