"""When a cron expression ticks: in UTC or the workflow's time zone, across DST changes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from hatchetd.engine.cron import CronSchedule
from tests.engine.cron_helpers import at


def ticks_between(schedule: CronSchedule, start: datetime, end: datetime) -> list[datetime]:
    """Every tick strictly after `start` and at or before `end`."""
    found: list[datetime] = []
    tick = schedule.next_after(start)
    while tick is not None and tick <= end:
        found.append(tick)
        tick = schedule.next_after(tick)
    return found


def test_the_next_tick_is_strictly_after_the_moment_given() -> None:
    schedule = CronSchedule.of("*/15 * * * *")

    assert schedule.next_after(at(12, 0)) == at(12, 15)
    assert schedule.next_after(at(12, 14, 59)) == at(12, 15)
    assert schedule.next_after(at(12, 15) - timedelta(microseconds=1)) == at(12, 15)


def test_the_latest_tick_includes_the_moment_itself() -> None:
    schedule = CronSchedule.of("*/15 * * * *")

    assert schedule.latest_at_or_before(at(12, 15)) == at(12, 15)
    assert schedule.latest_at_or_before(at(12, 29, 59)) == at(12, 15)
    assert schedule.latest_at_or_before(at(12, 14, 59, day=2)) == at(12, 0, day=2)


def test_ticks_come_back_in_utc_whatever_the_zone() -> None:
    tick = CronSchedule.of("0 9 * * *", "Europe/Paris").next_after(at(0, 0))

    assert tick is not None
    assert tick.tzinfo is UTC


@pytest.mark.parametrize(
    ("day", "fires_at_utc"),
    [
        (at(0, 0, day=10, month=1), at(8, 0, day=10, month=1)),  # CET, UTC+1
        (at(0, 0, day=10, month=7), at(7, 0, day=10, month=7)),  # CEST, UTC+2
    ],
    ids=["winter", "summer"],
)
def test_nine_in_paris_is_eight_utc_in_winter_and_seven_in_summer(
    day: datetime, fires_at_utc: datetime
) -> None:
    schedule = CronSchedule.of("0 9 * * *", "Europe/Paris")

    assert schedule.next_after(day) == fires_at_utc


def test_a_time_the_spring_forward_skips_fires_at_the_first_moment_after_the_jump() -> None:
    # 2024-03-31 in Paris: at 02:00 CET the clocks jump to 03:00 CEST, so 02:30 never happens.
    # croniter (and cron, for a fixed time of day) runs the job at 03:00 CEST, 01:00 UTC.
    schedule = CronSchedule.of("30 2 * * *", "Europe/Paris")

    assert ticks_between(schedule, at(0, 0, day=30, month=3), at(0, 0, day=2, month=4)) == [
        at(1, 30, day=30, month=3),  # 02:30 CET
        at(1, 0, day=31, month=3),  # 03:00 CEST: the skipped 02:30, late
        at(0, 30, day=1, month=4),  # 02:30 CEST
    ]


def test_a_time_the_fall_back_repeats_fires_once_at_its_first_pass() -> None:
    # 2024-10-27 in Paris: at 03:00 CEST the clocks go back to 02:00 CET, so 02:30 happens twice
    # (00:30 and 01:30 UTC). croniter returns both; a fixed time of day fires once.
    schedule = CronSchedule.of("30 2 * * *", "Europe/Paris")

    assert ticks_between(schedule, at(0, 0, day=26, month=10), at(0, 0, day=29, month=10)) == [
        at(0, 30, day=26, month=10),  # 02:30 CEST
        at(0, 30, day=27, month=10),  # 02:30 CEST, the first pass
        at(1, 30, day=28, month=10),  # 02:30 CET
    ]
    assert schedule.latest_at_or_before(at(1, 45, day=27, month=10)) == at(0, 30, day=27, month=10)


def test_an_interval_keeps_firing_through_the_repeated_hour() -> None:
    # A wildcard minute or hour field is an interval: every 30 minutes of real time, as cron's
    # "wildcard jobs" do, so the repeated 02:00 and 02:30 each fire again.
    schedule = CronSchedule.of("*/30 * * * *", "Europe/Paris")

    assert ticks_between(schedule, at(23, 45, day=26, month=10), at(2, 15, day=27, month=10)) == [
        at(hour, minute, day=27, month=10) for hour in (0, 1) for minute in (0, 30)
    ] + [at(2, 0, day=27, month=10)]


def test_macros_tick_like_the_expression_they_stand_for() -> None:
    hourly = CronSchedule.of("@hourly", "Europe/Paris")

    assert hourly.interval
    assert hourly.next_after(at(12, 5)) == at(13, 0)
    assert not CronSchedule.of("@daily").interval


def test_a_schedule_that_can_never_match_has_no_next_tick() -> None:
    # Valid cron, but February never has a 30th.
    schedule = CronSchedule.of("0 0 30 2 *")

    assert schedule.next_after(at(12, 0)) is None
    assert schedule.latest_at_or_before(at(12, 0)) is None
