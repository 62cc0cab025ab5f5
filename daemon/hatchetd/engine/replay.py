"""Replay: an event pushed again as a new event linked to its original (design §6).

The replay is matched against the workflow versions active now, not those of the original
push: replaying after fixing a workflow file runs the fixed workflow.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from hatchetd.contracts.events import Event, NewEvent
from hatchetd.contracts.ids import new_id
from hatchetd.engine.clock import Clock
from hatchetd.engine.errors import EventNotFound
from hatchetd.engine.ingest import Ingest
from hatchetd.store import Store


def replay_events(
    store: Store,
    clock: Clock,
    ingest: Ingest,
    event_ids: Sequence[str],
    data: dict[str, Any] | None = None,
) -> list[Event]:
    """One new event per id, in order, with `replayed_from_id` set and the original's key; its
    data is `data` when given, else the original's. Raises `EventNotFound` naming every unknown
    id, before anything is written."""
    originals = [(event_id, store.get_event(event_id)) for event_id in event_ids]
    missing = [event_id for event_id, event in originals if event is None]
    if missing:
        raise EventNotFound(missing)
    now = clock.now()
    replays = [
        NewEvent(
            id=new_id(),
            key=original.key,
            data=dict(original.data if data is None else data),
            created_at=now,
            replayed_from_id=original.id,
        )
        for _, original in originals
        if original is not None
    ]
    return ingest.create(replays, now)
