"""`/api/v1/changes`: the change stream, as Server-Sent Events (design §6; issue: live views).

Each committed write is one `change` event whose data is a `Change` document; a comment line
every few seconds keeps proxies and idle clients from closing the connection. The stream ends
with a `lagged` event when the client reads too slowly (it should reread the state and
subscribe again) and with an `end` event when the daemon shuts down.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse

from hatchetd.api.change_hub import Ended, Lagged, Subscription
from hatchetd.api.ids import resolve_id
from hatchetd.api.openapi import STORE, component, errors
from hatchetd.api.services import ServicesDep
from hatchetd.contracts.changes import Change, ChangeKind
from hatchetd.contracts.ids import IdOrPrefix

router = APIRouter(prefix="/api/v1/changes", tags=["changes"])

KEEP_ALIVE_SECONDS = 10.0
_SSE_EVENT = {
    "description": "One event of the stream (comment lines, which keep it open, are not events).",
    "type": "object",
    "required": ["event", "data"],
    "properties": {"event": {"enum": ["change", "lagged", "end"]}, "data": {"type": "string"}},
    "anyOf": [
        {
            "required": ["id"],
            "properties": {
                "event": {"const": "change"},
                "id": {"type": "string", "pattern": "^[0-9]+$"},
                "data": {
                    "contentMediaType": "application/json",
                    "contentSchema": component(Change),
                },
            },
        },
        {"properties": {"event": {"enum": ["lagged", "end"]}, "data": {"const": "{}"}}},
    ],
}
"""One event of the stream: tools read a `text/event-stream` schema as that (OpenAPI 3.2 names it
`itemSchema`); its `data` is a `Change` document for `change`, `{}` otherwise."""


@router.get(
    "",
    response_class=StreamingResponse,
    responses={
        200: {
            "description": "The stream: `change` events, then `lagged` or `end`.",
            "content": {"text/event-stream": {"schema": _SSE_EVENT}},
        },
        **errors(404, 409, 422, *STORE),
    },
)
async def stream_changes(
    services: ServicesDep,
    *,
    kind: Annotated[
        list[ChangeKind] | None, Query(description="only changes of these kinds (repeatable)")
    ] = None,
    run_id: Annotated[
        list[IdOrPrefix] | None,
        Query(
            description="only changes to this run: the run, its job and step runs and its log "
            "lines (repeatable: any of these runs)"
        ),
    ] = None,
) -> StreamingResponse:
    """Every write committed from now on, as it is committed, as Server-Sent Events."""
    run_ids = [resolve_id(i, "run", services.store.resolve_run_id) for i in run_id or ()]
    subscription = services.changes.subscribe(kind or (), run_ids)
    return StreamingResponse(
        _events(services.changes.unsubscribe, subscription),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


async def _events(
    unsubscribe: Callable[[Subscription], None], subscription: Subscription
) -> AsyncIterator[str]:
    try:
        # A first line at once: the client knows it is subscribed before anything happens.
        yield ": subscribed\n\n"
        while True:
            try:
                item = await asyncio.wait_for(subscription.queue.get(), KEEP_ALIVE_SECONDS)
            except TimeoutError:
                yield ": keep-alive\n\n"
                continue
            if isinstance(item, Lagged):
                yield "event: lagged\ndata: {}\n\n"
                return
            if isinstance(item, Ended):
                yield "event: end\ndata: {}\n\n"
                return
            yield f"id: {item.seq}\nevent: change\ndata: {item.model_dump_json()}\n\n"
    finally:
        unsubscribe(subscription)
