"""Times that bound a filter (`since`, `until`): RFC 3339 text with an offset, compared in UTC.

Read here rather than by pydantic's lax datetime parsing, which also takes `0.5` (seconds since
1970), `2026-05-01` and zone-less times: the OpenAPI document promises RFC 3339 `date-time`, so
exactly that is accepted, and every RFC 3339 time is (also those a datetime cannot hold).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from typing import Annotated

from pydantic import AwareDatetime, BeforeValidator

_FIRST = datetime.min.replace(tzinfo=UTC)
_LAST = datetime.max.replace(tzinfo=UTC)
_RFC3339 = re.compile(
    r"(\d{4})-(\d\d)-(\d\d)[Tt](\d\d):(\d\d):(\d\d)(?:\.(\d+))?(?:[Zz]|([+-])(\d\d):(\d\d))",
    re.ASCII,
)
_LEAP = timedelta(hours=23, minutes=59)
_EXPECTED = "expected an RFC 3339 time with an offset, e.g. 2026-05-01T12:00:00Z"


def parse_time_bound(value: object) -> datetime:
    """`value` (RFC 3339 text, or an aware datetime) in UTC; ValueError if it is neither."""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError(f"{_EXPECTED}: a time without an offset could mean any zone")
        return _in_utc(value)
    match = _RFC3339.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        raise ValueError(f"{_EXPECTED}, not {value!r}")
    year, month, day, hour, minute, second = (int(match[i]) for i in range(1, 7))
    micro = int((match[7] or "0")[:6].ljust(6, "0"))
    offset = timedelta()
    if match[8]:
        offset = timedelta(hours=int(match[9]), minutes=int(match[10]))
        if offset >= timedelta(hours=24) or int(match[10]) > 59:
            raise ValueError(f"{_EXPECTED}: the offset {match[8]}{match[9]}:{match[10]} is no zone")
        offset = offset if match[8] == "+" else -offset
    if second == 60:
        # A leap second, only ever 23:59:60 UTC; a datetime cannot hold it: its last microsecond.
        if (timedelta(hours=hour, minutes=minute) - offset) % timedelta(days=1) != _LEAP:
            raise ValueError(f"{_EXPECTED}: second 60 is only 23:59:60 UTC")
        second, micro = 59, 999_999
    zone = timezone(offset) if offset else UTC
    # Checks the date and time; year 0 (RFC 3339 has one, a datetime starts at 1) is a leap
    # year like 4, and as a bound leaves nothing out.
    moment = datetime(year or 4, month, day, hour, minute, second, micro, tzinfo=zone)
    return _FIRST if year == 0 else _in_utc(moment)


def _in_utc(moment: datetime) -> datetime:
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        # `0001-01-01T00:00:00+01:00` is before the first instant a UTC datetime holds (and
        # `9999-12-31T23:59:59-01:00` after the last): as a bound it leaves nothing out.
        return _FIRST if moment.year == 1 else _LAST


TimeBound = Annotated[AwareDatetime, BeforeValidator(parse_time_bound)]
"""A `since` or `until`: RFC 3339 text with an offset, in UTC. A time without an offset is
refused, as it could mean any zone."""
