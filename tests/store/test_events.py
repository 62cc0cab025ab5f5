"""Events: stored as pushed, found by id, key pattern, time and replay, paged newest first."""

from __future__ import annotations

import base64
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone

import pytest

from hatchetd.contracts.events import EventQuery, NewEvent
from hatchetd.contracts.runs import NewRun
from hatchetd.store import IdempotencyKeyTaken, Store, iter_pages

T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
MakeEvent = Callable[..., NewEvent]


def keys_of(store: Store, query: EventQuery) -> list[str]:
    return [event.key for event in iter_pages(store, query)]


def test_an_event_comes_back_as_it_was_pushed(store: Store, new_event: MakeEvent) -> None:
    pushed = new_event(
        key="user:create",
        data={"user": {"email": "ada@example.com", "tags": ["a", 1, None, 2.5, True]}},
        created_at=T0 + timedelta(microseconds=123456),
        idempotency_key="push-1",
    )

    [created] = store.create_events([pushed])
    stored = store.get_event(pushed.id)

    assert created.model_dump() == {**pushed.model_dump(), "run_ids": [], "replay_ids": []}
    assert stored == created
    assert stored.created_at.tzinfo is UTC
    assert stored.created_at == T0 + timedelta(microseconds=123456)


ODD_ORDER = {
    "zeta": 1,
    "alpha": {"z": [3, 2, 1], "a": None},
    "": "empty key",
    "é": "ü ✓ 😀",
    "big": 18446744073709551617,
    "huge": -int("7" * 300),
    "tiny": 5e-324,
    "max": 1.7976931348623157e308,
    "pi": 3.141592653589793,
    "zero": -0.0,
    "nested": {"b": {"d": 1, "c": 2}, "a": []},
}


def pairs(value: object) -> object:
    """A JSON value with every object as a list of (key, value): equal only in the same order."""
    if isinstance(value, dict):
        return [(key, pairs(item)) for key, item in value.items()]
    if isinstance(value, list):
        return [pairs(item) for item in value]
    return (type(value), value)


def test_a_payload_keeps_its_key_order_and_every_value(store: Store, new_event: MakeEvent) -> None:
    """PostgreSQL's jsonb would give the keys back sorted; the payload is kept as json text."""
    event = new_event(data=ODD_ORDER)
    store.create_events([event])

    stored = store.get_event(event.id)
    (listed,) = store.list_events(EventQuery()).items

    assert stored is not None
    assert pairs(stored.data) == pairs(ODD_ORDER)
    assert pairs(listed.data) == pairs(ODD_ORDER)


def test_times_in_other_zones_are_stored_as_the_same_instant(
    store: Store, new_event: MakeEvent
) -> None:
    plus_two = datetime(2024, 5, 1, 14, 0, tzinfo=timezone(timedelta(hours=2)))
    event = new_event(created_at=plus_two)
    store.create_events([event])

    stored = store.get_event(event.id)

    assert stored is not None
    assert stored.created_at == plus_two == T0
    assert stored.created_at.tzinfo is UTC


def test_unknown_ids_and_keys_find_nothing(store: Store) -> None:
    assert store.get_event("no-such-event") is None
    assert store.get_event_by_idempotency_key("no-such-key") is None
    assert store.create_events([]) == []


def test_an_event_lists_the_runs_it_triggered_and_its_replays_oldest_first(
    store: Store, new_event: MakeEvent, new_run: Callable[..., NewRun]
) -> None:
    original = new_event(created_at=T0)
    store.create_events([original])
    later, earlier = (
        new_run(event_id=original.id, created_at=T0 + timedelta(seconds=2)),
        new_run(event_id=original.id, created_at=T0 + timedelta(seconds=1)),
    )
    store.create_runs([later, earlier])
    replays = [
        new_event(replayed_from_id=original.id, created_at=T0 + timedelta(seconds=s))
        for s in (5, 3)
    ]
    store.create_events(replays)

    stored = store.get_event(original.id)

    assert stored is not None
    assert stored.run_ids == [earlier.run.id, later.run.id]
    assert stored.replay_ids == [replays[1].id, replays[0].id]
    replay = store.get_event(replays[0].id)
    assert replay is not None
    assert replay.replayed_from_id == original.id
    assert replay.run_ids == replay.replay_ids == []
    listed = store.list_events(EventQuery(key=original.key, until=T0 + timedelta(seconds=1)))
    assert [(e.id, e.run_ids, e.replay_ids) for e in listed.items] == [
        (original.id, stored.run_ids, stored.replay_ids)
    ]


def test_an_event_is_found_by_its_idempotency_key(store: Store, new_event: MakeEvent) -> None:
    event = new_event(idempotency_key="order-42")
    store.create_events([event, new_event()])

    found = store.get_event_by_idempotency_key("order-42")

    assert found is not None
    assert found.id == event.id


def test_a_taken_idempotency_key_stores_none_of_the_call(
    store: Store, new_event: MakeEvent
) -> None:
    store.create_events([new_event(idempotency_key="order-42")])
    fresh, clash = new_event(), new_event(idempotency_key="order-42")

    with pytest.raises(IdempotencyKeyTaken) as raised:
        store.create_events([fresh, clash])

    assert raised.value.key == "order-42"
    assert "order-42" in str(raised.value)
    assert store.get_event(fresh.id) is None
    assert store.get_event(clash.id) is None


def test_the_same_idempotency_key_twice_in_one_call_stores_nothing(
    store: Store, new_event: MakeEvent
) -> None:
    first, second = new_event(idempotency_key="k"), new_event(idempotency_key="k")

    with pytest.raises(IdempotencyKeyTaken) as raised:
        store.create_events([first, second])

    assert raised.value.key == "k"
    assert store.get_event(first.id) is None


def test_a_taken_idempotency_key_leaves_the_batch_usable(
    store: Store, new_event: MakeEvent
) -> None:
    store.create_events([new_event(idempotency_key="k")])
    before, clash, after = new_event(), new_event(idempotency_key="k"), new_event()

    with store.batch():
        store.create_events([before])
        with pytest.raises(IdempotencyKeyTaken):
            store.create_events([new_event(), clash])
        store.create_events([after])

    assert store.get_event(before.id) is not None
    assert store.get_event(after.id) is not None
    assert store.get_event(clash.id) is None


def test_events_are_listed_newest_first(store: Store, new_event: MakeEvent) -> None:
    events = [new_event(created_at=T0 + timedelta(seconds=s)) for s in (2, 0, 1)]
    store.create_events(events)

    page = store.list_events(EventQuery())

    assert [e.created_at for e in page.items] == [T0 + timedelta(seconds=s) for s in (2, 1, 0)]
    assert page.next_cursor is None


KEYS = [
    "user:create",
    "user:delete",
    "user:create:x",
    "team:create",
    "user",
    "User:create",
    "usera:create",
    "a%b:create",
    "a_b:create",
    "a[b]:create",
]


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        pytest.param("user:create", {"user:create"}, id="exact"),
        pytest.param("user:*", {"user:create", "user:delete"}, id="last-segment"),
        pytest.param(
            "*:create",
            {
                "user:create",
                "team:create",
                "User:create",
                "usera:create",
                "a%b:create",
                "a_b:create",
                "a[b]:create",
            },
            id="first-segment",
        ),
        pytest.param("*", {"user"}, id="one-segment"),
        pytest.param("*:*:*", {"user:create:x"}, id="three-segments"),
        pytest.param("user:*:x", {"user:create:x"}, id="middle-segment"),
        pytest.param("User:*", {"User:create"}, id="case-sensitive"),
        pytest.param("a%b:*", {"a%b:create"}, id="percent-is-literal"),
        pytest.param("a_b:*", {"a_b:create"}, id="underscore-is-literal"),
        pytest.param("a[b]:*", {"a[b]:create"}, id="brackets-are-literal"),
        pytest.param("use?:*", set(), id="question-mark-is-literal"),
        pytest.param("nobody:*", set(), id="no-match"),
    ],
)
def test_key_patterns_match_whole_segments(
    store: Store, new_event: MakeEvent, pattern: str, expected: set[str]
) -> None:
    store.create_events([new_event(key=key) for key in KEYS])

    assert sorted(keys_of(store, EventQuery(key=pattern))) == sorted(expected)


def test_since_is_inclusive_and_until_exclusive(store: Store, new_event: MakeEvent) -> None:
    store.create_events(
        [new_event(key=f"k:{s}", created_at=T0 + timedelta(seconds=s)) for s in range(5)]
    )

    query = EventQuery(since=T0 + timedelta(seconds=1), until=T0 + timedelta(seconds=3))

    assert keys_of(store, query) == ["k:2", "k:1"]


def test_replays_of_one_event_are_listed(store: Store, new_event: MakeEvent) -> None:
    original, other = new_event(), new_event()
    store.create_events([original, other])
    replays = [new_event(replayed_from_id=original.id, key=f"r:{i}") for i in range(3)]
    store.create_events([*replays, new_event(replayed_from_id=other.id)])

    found = list(iter_pages(store, EventQuery(replayed_from_id=original.id)))

    assert {e.id for e in found} == {r.id for r in replays}


def test_paging_visits_every_event_once_even_when_times_are_shared(
    store: Store, new_event: MakeEvent
) -> None:
    # 120 events, seven to a timestamp, so pages split groups that share created_at.
    events = [new_event(created_at=T0 + timedelta(seconds=i // 7)) for i in range(120)]
    store.create_events(events)

    pages = []
    cursor: str | None = None
    while True:
        page = store.list_events(EventQuery(limit=50, cursor=cursor))
        pages.append(page)
        cursor = page.next_cursor
        if cursor is None:
            break
    seen = [e for page in pages for e in page.items]

    assert [len(p.items) for p in pages] == [50, 50, 20]
    assert len({e.id for e in seen}) == 120
    assert {e.id for e in seen} == {e.id for e in events}
    order = [(e.created_at, e.id) for e in seen]
    assert order == sorted(order, reverse=True)


def test_a_filter_holds_across_pages(store: Store, new_event: MakeEvent) -> None:
    store.create_events(
        [new_event(key="user:create" if i % 3 else "team:create") for i in range(30)]
    )

    page = store.list_events(EventQuery(key="user:*", limit=7))
    rest = list(iter_pages(store, EventQuery(key="user:*", limit=7, cursor=page.next_cursor)))

    assert len(page.items) + len(rest) == 20
    assert {e.key for e in [*page.items, *rest]} == {"user:create"}


@pytest.mark.parametrize(
    "cursor",
    [
        "not a cursor",
        "Zm9v",  # "foo"
        base64.urlsafe_b64encode(b"2024-05-01T12:00:00|").decode(),
        base64.urlsafe_b64encode(b"yesterday|abc").decode(),
        base64.urlsafe_b64encode(b"2024-05-01T12:00:00|abc").decode(),  # no time zone
        base64.urlsafe_b64encode(b"\xff\xfe").decode(),
        # Forged: a time with no UTC instant, an id PostgreSQL cannot hold.
        base64.urlsafe_b64encode(b"0001-01-01T00:00:00+01:00|abc").decode(),
        base64.urlsafe_b64encode(b"9999-12-31T23:59:59-23:59|abc").decode(),
        base64.urlsafe_b64encode(b"2024-05-01T12:00:00+00:00|a\x00b").decode(),
    ],
)
def test_a_bad_cursor_is_refused_with_a_clear_message(store: Store, cursor: str) -> None:
    with pytest.raises(ValueError, match=r"invalid cursor .*next_cursor"):
        store.list_events(EventQuery(cursor=cursor))


def test_an_id_is_resolved_from_a_prefix(store: Store, new_event: MakeEvent) -> None:
    a = new_event(id="3f2a0000-0000-4000-8000-000000000001")
    b = new_event(id="3f2a0000-0000-4000-8000-000000000002")
    c = new_event(id="4abc0000-0000-4000-8000-000000000003")
    store.create_events([a, b, c])

    assert store.resolve_event_id("3f2a") == [a.id, b.id]
    assert store.resolve_event_id("4a") == [c.id]
    assert store.resolve_event_id(b.id) == [b.id]
    assert store.resolve_event_id("5") == []
    assert store.resolve_event_id("3F2A") == []
