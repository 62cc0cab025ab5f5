"""`/api/v1/events`: push (one or many), list, show, replay (design §6)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from pydantic import WithJsonSchema
from starlette.convertors import StringConvertor, register_url_convertor

from hatchetd.api.body import ENVELOPE_BYTES, BodyRules, check_payload_size, read_body
from hatchetd.api.errors import ApiError
from hatchetd.api.ids import resolve_id
from hatchetd.api.openapi import STORE, errors, json_body
from hatchetd.api.services import DRAIN_RETRY_AFTER, Services, ServicesDep
from hatchetd.contracts.api import (
    MAX_BULK_EVENTS,
    MAX_PAYLOAD_BYTES,
    MAX_REPLAY_EVENTS,
    EventDetail,
    EventList,
    PushedEvent,
    PushEvent,
    PushEvents,
    ReplayEvents,
    ReplayResult,
    SimilarKey,
)
from hatchetd.contracts.events import Event, EventQuery
from hatchetd.contracts.ids import IdOrPrefix
from hatchetd.contracts.json_values import MAX_DEPTH
from hatchetd.contracts.paging import Cursor
from hatchetd.contracts.payload_paths import WHERE_PATTERN, PathValue
from hatchetd.contracts.runs import RunQuery
from hatchetd.contracts.storable_schema import NO_NUL
from hatchetd.contracts.times import TimeBound
from hatchetd.engine import Engine, EventNotFound, Push, replay_payload
from hatchetd.engine.matching import similar_keys
from hatchetd.engine.serving import active_versions
from hatchetd.store import iter_pages

router = APIRouter(prefix="/api/v1/events", tags=["events"])

_PUSH = BodyRules(
    max_bytes=MAX_PAYLOAD_BYTES + ENVELOPE_BYTES,
    limit=f"an event's payload is limited to {MAX_PAYLOAD_BYTES:,} bytes (1 MiB)",
    envelope=1,  # {"data": …}
)
_BULK = BodyRules(
    max_bytes=16 * MAX_PAYLOAD_BYTES,
    limit=f"a bulk push is limited to {16 * MAX_PAYLOAD_BYTES:,} bytes (16 MiB): "
    "push fewer events at a time",
    envelope=3,  # {"events": [{"data": …}]}
)
_REPLAY = BodyRules(
    max_bytes=MAX_PAYLOAD_BYTES + ENVELOPE_BYTES,
    limit=f"a replay's data is limited to {MAX_PAYLOAD_BYTES:,} bytes (1 MiB)",
    envelope=1,  # {"data": …}; `set` values are scalars
)
MAX_WHERE = 20
"""The most `where` filters one listing may combine."""


Where = Annotated[str, WithJsonSchema({"type": "string", "pattern": WHERE_PATTERN})]
"""`path=value` (checked by the route, which answers `bad_where` with what is wrong)."""


class _EventRef(StringConvertor):
    """An event id in a path: anything but the names of the routes beside it, so that
    `GET /api/v1/events/bulk` is a 405 (only POST is served there), not a 404 for an event
    called "bulk"."""

    regex = "(?!(?:bulk|replay)$)[^/]+"


register_url_convertor("event_ref", _EventRef())


def _open(services: Services) -> None:
    if services.draining:
        raise ApiError(
            503,
            "unavailable",
            "hatchetd is shutting down and takes no new events",
            retry_after=DRAIN_RETRY_AFTER,
        )


def _push(p: PushEvent) -> Push:
    return Push(key=p.key, data=p.data, idempotency_key=p.idempotency_key)


@router.post(
    "",
    status_code=201,
    response_model=PushedEvent,
    openapi_extra=json_body(PushEvent),
    responses={
        200: {
            "model": PushedEvent,
            "description": "The event pushed before with this idempotency key and data "
            "(`existing` is true).",
        },
        **errors(400, 409, 413, 422, *STORE),
    },
)
async def push_event(request: Request, response: Response, services: ServicesDep) -> PushedEvent:
    """Store one event and start the runs it triggers; answered once the event is durable. An
    event that triggered nothing comes with the keys active workflows listen to that look like
    its own (`similar_keys`)."""
    _open(services)
    body, size = await read_body(request, PushEvent, _PUSH)
    check_payload_size(body.data, size)
    (outcome,) = await services.runtime.call(lambda e: e.push_events([_push(body)]))
    if not outcome.created:
        response.status_code = 200
    event = outcome.event
    # Only a push that missed pays for the lookup: the hot path stays one engine call.
    similar = [] if event.run_ids else await asyncio.to_thread(_similar, services, event.key)
    # Constructed, not validated: the engine's event is valid, and its payload may be 1 MiB.
    return PushedEvent.model_construct(
        **dict(event), existing=not outcome.created, similar_keys=similar
    )


def _similar(services: Services, key: str) -> list[SimilarKey]:
    """The keys active workflows listen to that look like `key`, with those workflows."""
    listeners: dict[str, list[str]] = {}
    for version in active_versions(services.store):
        for listened in dict.fromkeys(version.definition.get("triggers", {}).get("events", [])):
            listeners.setdefault(str(listened), []).append(version.workflow_name)
    return [SimilarKey(key=k, workflows=listeners[k]) for k in similar_keys(key, listeners)]


@router.post(
    "/bulk",
    status_code=201,
    response_model=list[Event],
    openapi_extra=json_body(PushEvents),
    responses=errors(400, 409, 413, 422, *STORE),
)
async def push_events(request: Request, services: ServicesDep) -> list[Event]:
    """Store up to 1,000 events in one commit; all are stored or none."""
    _open(services)
    body, _ = await read_body(request, PushEvents, _BULK)
    for p in body.events:
        check_payload_size(p.data, MAX_PAYLOAD_BYTES + 1)
    outcomes = await services.runtime.call(lambda e: e.push_events([_push(p) for p in body.events]))
    return [o.event for o in outcomes]


@router.get("", response_model=EventList, responses=errors(400, 422, *STORE))
def list_events(
    services: ServicesDep,
    *,
    key: Annotated[
        str | None, Query(description="exact key or `*` segments: user:*", pattern=NO_NUL)
    ] = None,
    since: Annotated[TimeBound | None, Query(description="created at or after (RFC 3339)")] = None,
    until: Annotated[TimeBound | None, Query(description="created before (RFC 3339)")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_BULK_EVENTS)] = 50,
    cursor: Annotated[Cursor | None, Query(description="next_cursor of the previous page")] = None,
    where: Annotated[
        list[Where] | None,
        Query(
            description="path=value: the payload holds this JSON value at this dot path "
            '(user.email=ada@example.com, order.total=42, flags.vip=true, zip="02139"); '
            f"repeat for several (at most {MAX_WHERE}), all must hold; a path has at most "
            f"{MAX_DEPTH} keys",
            # The route's own check answers `bad_where`; the document says the same bound.
            json_schema_extra={"maxItems": MAX_WHERE},
        ),
    ] = None,
) -> EventList:
    """Events, newest first, a page at a time."""
    if len(where or ()) > MAX_WHERE:
        raise ApiError(
            422,
            "bad_where",
            f"where: {len(where or ())} filters given; at most {MAX_WHERE} are allowed",
        )
    try:
        matches = tuple(PathValue.parse(text) for text in where or ())
    except ValueError as exc:
        raise ApiError(422, "bad_where", f"where: {exc}") from None
    query = EventQuery(key=key, since=since, until=until, where=matches, limit=limit, cursor=cursor)
    try:
        page = services.store.list_events(query)
    except ValueError as exc:  # a cursor that is not one of ours
        raise ApiError(400, "bad_cursor", str(exc)) from None
    return EventList(items=page.items, next_cursor=page.next_cursor)


@router.get(
    "/{event_id:event_ref}", response_model=EventDetail, responses=errors(404, 409, 422, *STORE)
)
def get_event(event_id: IdOrPrefix, services: ServicesDep) -> EventDetail:
    """One event with the runs it triggered; a unique prefix of its id will do."""
    event_id = resolve_id(event_id, "event", services.store.resolve_event_id)
    event = services.store.get_event(event_id)
    if event is None:
        raise ApiError(404, "not_found", f"no event with id {event_id!r}")
    runs = services.store.list_workflow_runs(RunQuery(event_id=event_id, limit=1000)).items
    return EventDetail(event=event, runs=sorted(runs, key=lambda r: (r.created_at, r.id)))


@router.post(
    "/replay",
    status_code=201,
    response_model=ReplayResult,
    openapi_extra=json_body(ReplayEvents),
    responses={
        200: {"description": "A dry run: the events that would be replayed."},
        **errors(400, 404, 409, 413, 422, *STORE),
    },
)
async def replay_events(
    request: Request, response: Response, services: ServicesDep
) -> ReplayResult:
    """Push events again as new events linked to their originals, optionally with new data.

    Up to 1,000 events are replayed in one commit; a larger filter replay commits in chunks of
    1,000, oldest first.
    """
    body, size = await read_body(request, ReplayEvents, _REPLAY)
    if body.data is not None:
        check_payload_size(body.data, size)
    originals = await asyncio.to_thread(_replay_targets, services, body)
    # Every edit is tried before the first chunk commits: one that fails refuses it all.
    previews = _as_replayed(originals, body)
    if body.dry_run:
        response.status_code = 200
        return ReplayResult(dry_run=True, events=previews)
    _open(services)
    replayed: list[Event] = []
    for start in range(0, len(originals), MAX_BULK_EVENTS):
        ids = [e.id for e in originals[start : start + MAX_BULK_EVENTS]]
        replayed += await services.runtime.call(_replay(ids, body.data, body.set))
    return ReplayResult(dry_run=False, events=replayed)


def _replay(
    ids: list[str], data: dict[str, Any] | None, edits: list[PathValue]
) -> Callable[[Engine], list[Event]]:
    return lambda engine: engine.replay_events(ids, data, edits)


def _as_replayed(originals: list[Event], body: ReplayEvents) -> list[Event]:
    """A dry run's events, each with the payload its replay would carry, so that a preview
    of `data` and `set` shows what would be pushed (and refuses an edit the replay would)."""
    if body.data is None and not body.set:
        return originals
    return [
        event.model_copy(update={"data": replay_payload(event, body.data, body.set)})
        for event in originals
    ]


def _find_event(services: Services, given: str) -> Event | None:
    """The event a full id or unique prefix names; None when it names none (an ambiguous or
    too short prefix is still refused with its own error)."""
    try:
        event_id = resolve_id(given, "event", services.store.resolve_event_id)
    except ApiError as exc:
        if exc.status == 404:
            return None
        raise
    return services.store.get_event(event_id)


def _replay_targets(services: Services, body: ReplayEvents) -> list[Event]:
    """The events a replay covers, checked to exist (by id) or found (by filter), in order."""
    if body.event_ids is not None:
        found = [(i, _find_event(services, i)) for i in body.event_ids]
        missing = [i for i, event in found if event is None]
        if missing:  # every one named, not just the first: the caller fixes them all at once
            raise EventNotFound(missing)
        return [event for _, event in found if event is not None]
    query = EventQuery(key=body.key, since=body.since, until=body.until, limit=MAX_BULK_EVENTS)
    matched: list[Event] = []
    for event in iter_pages(services.store, query):
        if len(matched) == MAX_REPLAY_EVENTS:
            raise ApiError(
                422,
                "too_many_events",
                f"more than {MAX_REPLAY_EVENTS:,} events match; narrow the filter "
                "(key, since, until) and replay in parts",
            )
        matched.append(event)
    matched.reverse()  # listings are newest first; replay in the order things happened
    return matched
