"""What the OpenAPI document says a value may be is what the daemon takes (issue 10, item 9).

For each constraint the document states, the JSON Schema (judged by jsonschema_rs, the validator
schemathesis judges with, which comes with it) and the daemon's own check agree on values at and
around the edges. A disagreement is either a 4xx for a request the document allows or a request
taken that the document forbids.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import jsonschema_rs
import pytest
from pydantic import TypeAdapter, ValidationError

from hatchetd.api.errors import ApiError
from hatchetd.api.ids import resolve_id
from hatchetd.contracts.api import PushEvent
from hatchetd.contracts.ids import ID_OR_PREFIX_SCHEMA
from hatchetd.contracts.paging import CURSOR_PATTERN
from hatchetd.contracts.payload_paths import WHERE_PATTERN, PathValue
from hatchetd.contracts.times import TimeBound
from hatchetd.store.sql_base import decode_cursor, encode_cursor

FULL_ID = "3f2a0c1e-0000-4000-8000-000000000001"


def allowed(schema: dict[str, Any], value: object) -> bool:
    return bool(jsonschema_rs.validator_for(schema, validate_formats=True).is_valid(value))


def takes(check: Any) -> bool:
    try:
        check()
    except (ValueError, ApiError):  # pydantic's ValidationError is a ValueError
        return False
    return True


@pytest.mark.parametrize(
    "text",
    [
        "2026-05-01T12:00:00Z",
        "2026-05-01t12:00:00.123456789z",
        "2026-05-01T12:00:00+05:30",
        "2026-05-01T12:00:00-00:00",
        "0001-01-01T00:00:00+01:00",  # before the first UTC instant a datetime holds
        "9999-12-31T23:59:59-23:59",  # after the last
        "0000-02-29T00:00:00Z",  # RFC 3339 has a year 0, a leap year
        "2016-12-31T23:59:60Z",  # a leap second
        "2016-12-31T18:59:60-05:00",  # the same one elsewhere
        "2026-05-01T12:00:60Z",  # not a leap second
        "2026-02-29T00:00:00Z",
        "2026-05-01T24:00:00Z",
        "2026-05-01T12:00:00+24:00",
        "2026-05-01T12:00:00+0100",
        "2026-05-01 12:00:00Z",
        "2026-05-01T12:00:00",  # no offset: could be any zone
        "2026-05-01T12:00Z",
        "2026-05-01",
        "1777000000",
        "0.5",
        "",
    ],
)
def test_a_since_or_until_is_taken_exactly_when_it_is_an_rfc_3339_date_time(text: str) -> None:
    adapter = TypeAdapter(TimeBound)
    assert takes(lambda: adapter.validate_python(text)) == allowed(adapter.json_schema(), text)


def test_a_time_bound_is_utc_and_one_beyond_the_range_leaves_nothing_out() -> None:
    adapter = TypeAdapter(TimeBound)
    assert adapter.validate_python("2026-05-01T12:00:00+02:00") == datetime(
        2026, 5, 1, 10, tzinfo=UTC
    )
    assert adapter.validate_python("0001-01-01T00:00:00+01:00") == datetime.min.replace(tzinfo=UTC)
    assert adapter.validate_python("9999-12-31T23:59:59-01:00") == datetime.max.replace(tzinfo=UTC)
    with pytest.raises(ValidationError):
        adapter.validate_python(0.5)  # lax pydantic would read seconds since 1970


@pytest.mark.parametrize(
    "cursor",
    [
        "0_0",
        f"1777000000000000_{FULL_ID}",
        "9999999999999999_ffffffff-ffff-ffff-ffff-ffffffffffff",  # the largest: year 2286
        "10000000000000000_0",
        "1_",
        "_abc",
        "1_ABC",
        "1_abc\n",
        f"1_{FULL_ID}0",
        "MjAyNi0wNS0wMVQxMjowMDowMCswMDowMHxhYmM",  # the old base64 shape
        "",
    ],
)
def test_a_cursor_is_taken_exactly_when_it_has_the_documented_shape(cursor: str) -> None:
    schema = {"type": "string", "pattern": CURSOR_PATTERN}
    assert takes(lambda: decode_cursor(cursor)) == allowed(schema, cursor)


def test_a_cursor_holds_the_exact_time_and_id_of_its_row() -> None:
    at = datetime(2026, 5, 1, 12, 0, 0, 123456, tzinfo=UTC)
    assert decode_cursor(encode_cursor(at, FULL_ID)) == (at, FULL_ID)


@pytest.mark.parametrize(
    "given",
    [
        FULL_ID,
        FULL_ID.upper(),
        "3f2a",
        "3F2A0",
        "-3-f-2-a-",
        "3f2",
        "----",
        "zzzz",
        "3f2a!",
        " 3f2a",
        "3f2a ",
        f"{FULL_ID}0",  # longer than any id
        "",
    ],
)
def test_an_id_is_looked_up_exactly_when_it_has_the_documented_shape(given: str) -> None:
    def candidates(prefix: str) -> list[str]:
        return [FULL_ID]

    shape_ok = takes(lambda: resolve_id(given, "event", candidates))
    assert shape_ok == allowed(ID_OR_PREFIX_SCHEMA, given)


@pytest.mark.parametrize(
    "text",
    [
        "user.email=ada@example.com",
        "a=",
        "a_b-c.0=42",
        "a==b",
        "a",
        "=1",
        "a..b=1",
        ".a=1",
        "a.=1",
        "a b=1",
        "é=1",
        "a\n=1",
    ],
)
def test_a_where_is_taken_exactly_when_it_has_the_documented_shape(text: str) -> None:
    schema = {"type": "string", "pattern": WHERE_PATTERN}
    assert takes(lambda: PathValue.parse(text)) == allowed(schema, text)


@pytest.mark.parametrize(
    "key",
    [
        "user:create",
        "é:ü",
        "a\x7fb",
        *[f"a{space}b" for space in "\t\n\x0b\x0c\r \x1c\x1d\x1e\x1f\x85\xa0\u1680\u2000"],
        *[f"a{space}b" for space in "\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"],
    ],
)
def test_an_event_key_is_taken_exactly_when_the_document_allows_it(key: str) -> None:
    schema = PushEvent.model_json_schema()["properties"]["key"]
    assert takes(lambda: PushEvent(key=key)) == allowed(schema, key)
