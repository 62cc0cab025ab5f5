"""Replay: an event pushed again as a new event linked to its original (design §6).

The replay is matched against the workflow versions active now, not those of the original
push: replaying after fixing a workflow file runs the fixed workflow.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from hatchetd.contracts.events import Event, NewEvent
from hatchetd.contracts.ids import new_id
from hatchetd.contracts.payload_paths import PathValue, edited_payload
from hatchetd.engine.clock import Clock
from hatchetd.engine.errors import EventNotFound, PayloadEditFailed
from hatchetd.engine.ingest import Ingest
from hatchetd.store import Store


def replay_events(
    store: Store,
    clock: Clock,
    ingest: Ingest,
    event_ids: Sequence[str],
    data: dict[str, Any] | None = None,
    *,
    edits: Sequence[PathValue] = (),
) -> list[Event]:
    """One new event per id, in order, with `replayed_from_id` set and the original's key; its
    data is `replay_payload(original, data, edits)`. Raises `EventNotFound` naming every unknown
    id, or `PayloadEditFailed`, before anything is written."""
    originals = [(event_id, store.get_event(event_id)) for event_id in event_ids]
    missing = [event_id for event_id, event in originals if event is None]
    if missing:
        raise EventNotFound(missing)
    now = clock.now()
    replays = [
        NewEvent(
            id=new_id(),
            key=original.key,
            data=replay_payload(original, data, edits),
            created_at=now,
            replayed_from_id=original.id,
        )
        for _, original in originals
        if original is not None
    ]
    return ingest.create(replays, now)


def replay_payload(
    original: Event, data: dict[str, Any] | None, edits: Sequence[PathValue] = ()
) -> dict[str, Any]:
    """The payload a replay of `original` carries: `data` if given, else the original's, then
    each edit in order. The edits apply to each event's own payload, which is why they travel
    to the engine rather than being applied by the client: one request replays many events,
    each edited. `PayloadEditFailed` if an edit cannot be made."""
    try:
        return edited_payload(original.data, data, edits)
    except ValueError as exc:
        raise PayloadEditFailed(original.id, str(exc)) from None
