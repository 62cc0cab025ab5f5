"""Times a client gives (`since`, `until`): RFC 3339 with a zone, read as the UTC instant.

The store keeps UTC and refuses a time without a zone rather than guess one; a time that cannot
be turned into UTC (year 1 at +01:00 is in year 0) has no instant at all. Both are the client's
mistake, so they are refused here, where the client gets a 422 naming the parameter, and not
in the store, where they were a 500.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from pydantic import AfterValidator
from pydantic_core import PydanticCustomError


def in_utc(value: datetime) -> datetime:
    """`value` as a UTC time; a validation error if it has no zone or no UTC instant."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise _refused(f"{value.isoformat()} has no time zone: add one, e.g. Z or +02:00")
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise _refused(f"{value.isoformat()} is out of range once converted to UTC") from None


def _refused(message: str) -> PydanticCustomError:
    return PydanticCustomError("utc_time", "{message}", {"message": message})


UtcTime = Annotated[datetime, AfterValidator(in_utc)]
"""A time with a zone, converted to UTC."""
