"""`EventQuery.where`: events whose payload holds a value at a dot path, on every backend.

Matching is JSON equality, the same on SQLite and PostgreSQL: a number never matches the string
of its digits, `true` never matches 1, `null` matches a null but not a missing key.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from hatchetd.contracts.events import EventQuery, NewEvent
from hatchetd.contracts.payload_paths import PathValue
from hatchetd.store import Store, iter_pages
from tests.store.conftest import T0

MakeEvent = Callable[..., NewEvent]

PAYLOADS: dict[str, dict[str, Any]] = {
    "ada": {
        "user": {"email": "ada@example.com", "name": "Ada", "vip": True, "age": 36},
        "order": {"total": 42, "zip": "02139", "note": None},
    },
    "grace": {
        "user": {"email": "grace@example.com", "name": "Grace", "vip": False, "age": 36.0},
        "order": {"total": 42.5, "zip": 2139, "items": [{"sku": "a"}]},
    },
    "linus": {
        "user": {"email": "linus@example.com", "name": "42", "vip": 1},
        "order": {"total": "42", "note": "null", "0": "zero", "items": ["first"]},
    },
    "flat": {"user": "ada@example.com", "true": True, "big": 100000000000000000000},
}


@pytest.fixture
def names(store: Store, new_event: MakeEvent) -> dict[str, str]:
    """The payloads above stored as events, one second apart in this order; id → name."""
    stored = [
        new_event(data=data, created_at=T0 + timedelta(seconds=i))
        for i, data in enumerate(PAYLOADS.values())
    ]
    store.create_events(stored)
    return {event.id: name for event, name in zip(stored, PAYLOADS, strict=True)}


def matching(store: Store, names: dict[str, str], *where: str, limit: int = 50) -> list[str]:
    """The names of the events the `path=value` filters match, oldest first, over every page."""
    query = EventQuery(where=tuple(PathValue.parse(w) for w in where), limit=limit)
    return [names[event.id] for event in iter_pages(store, query)][::-1]


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        pytest.param("user.email=ada@example.com", ["ada"], id="string"),
        pytest.param('user.email="ada@example.com"', ["ada"], id="quoted-string"),
        pytest.param("user.name=42", [], id="number-never-matches-its-digits"),
        pytest.param('user.name="42"', ["linus"], id="quoted-digits-are-a-string"),
        pytest.param("order.total=42", ["ada"], id="integer"),
        pytest.param("order.total=42.0", ["ada"], id="integer-as-float"),
        pytest.param("order.total=42.5", ["grace"], id="float"),
        pytest.param("user.age=36", ["ada", "grace"], id="36-equals-36.0"),
        pytest.param('order.zip="02139"', ["ada"], id="leading-zero-string"),
        pytest.param("order.zip=2139", ["grace"], id="number-not-string"),
        pytest.param("user.vip=true", ["ada"], id="true-not-1"),
        pytest.param("user.vip=false", ["grace"], id="false-not-0"),
        pytest.param("user.vip=1", ["linus"], id="1-not-true"),
        pytest.param("order.note=null", ["ada"], id="null-not-missing-nor-string"),
        pytest.param('order.note="null"', ["linus"], id="quoted-null-is-a-string"),
        pytest.param("user=ada@example.com", ["flat"], id="top-level"),
        pytest.param("true=true", ["flat"], id="key-named-true"),
        pytest.param("big=100000000000000000000", ["flat"], id="beyond-64-bits"),
        pytest.param("big=1e20", ["flat"], id="beyond-64-bits-as-float"),
        pytest.param("order.0=zero", ["linus"], id="digit-key-is-an-object-key"),
        pytest.param("order.items.0=first", [], id="digit-key-never-indexes-an-array"),
        pytest.param("order.items.0.sku=a", [], id="nested-under-array"),
        pytest.param("user.email.domain=example.com", [], id="path-through-a-string"),
        pytest.param("user.missing=null", [], id="missing-path"),
        pytest.param("nope.deeper.still=x", [], id="missing-parents"),
    ],
)
def test_a_where_matches_the_json_value_at_its_path(
    store: Store, names: dict[str, str], where: str, expected: list[str]
) -> None:
    assert matching(store, names, where) == expected


def test_every_where_must_hold(store: Store, names: dict[str, str]) -> None:
    assert matching(store, names, "user.age=36") == ["ada", "grace"]
    assert matching(store, names, "user.age=36", "user.vip=false") == ["grace"]
    assert matching(store, names, "user.age=36", "user.vip=1") == []


def test_where_applies_before_paging(store: Store, new_event: MakeEvent) -> None:
    """Pages stay full and the cursor walks the matches only, even when most events do not
    match."""
    stored = [
        new_event(data={"n": i, "even": i % 2 == 0}, created_at=T0 + timedelta(seconds=i))
        for i in range(11)
    ]
    store.create_events(stored)
    query = EventQuery(where=(PathValue(path="even", value=True),), limit=2)

    first = store.list_events(query)
    pages = [first.items]
    page = first
    while page.next_cursor is not None:
        page = store.list_events(query.model_copy(update={"cursor": page.next_cursor}))
        pages.append(page.items)

    assert [[event.data["n"] for event in items] for items in pages] == [
        [10, 8],
        [6, 4],
        [2, 0],
    ]


def test_where_combines_with_the_other_filters(store: Store, new_event: MakeEvent) -> None:
    store.create_events(
        [
            new_event(key="user:create", data={"plan": "pro"}, created_at=T0),
            new_event(key="user:delete", data={"plan": "pro"}, created_at=T0),
            new_event(
                key="user:create", data={"plan": "pro"}, created_at=T0 + timedelta(seconds=5)
            ),
            new_event(key="user:create", data={"plan": "free"}, created_at=T0),
        ]
    )
    query = EventQuery(
        key="user:create",
        until=T0 + timedelta(seconds=1),
        where=(PathValue(path="plan", value="pro"),),
    )

    found = store.list_events(query).items

    assert [(e.key, e.data, e.created_at) for e in found] == [("user:create", {"plan": "pro"}, T0)]


def test_text_that_looks_like_sql_is_only_ever_a_value(store: Store, new_event: MakeEvent) -> None:
    sneaky = "x' OR '1'='1"
    store.create_events([new_event(data={"name": sneaky}), new_event(data={"name": "x"})])

    found = store.list_events(EventQuery(where=(PathValue(path="name", value=sneaky),)))

    assert [event.data for event in found.items] == [{"name": sneaky}]


def test_unicode_strings_match(store: Store, new_event: MakeEvent) -> None:
    store.create_events([new_event(data={"city": "Zürich ✓"}), new_event(data={"city": "Zurich"})])

    found = store.list_events(EventQuery(where=(PathValue(path="city", value="Zürich ✓"),)))

    assert [event.data for event in found.items] == [{"city": "Zürich ✓"}]
