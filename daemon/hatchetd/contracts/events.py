"""Events: what applications push, stored for good and replayable (design §6)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from hatchetd.contracts.payload_paths import PathValue


class NewEvent(BaseModel):
    """An event as the engine hands it to the store: ids and times are already decided."""

    model_config = ConfigDict(use_attribute_docstrings=True, frozen=True)

    id: str
    """The event's id."""
    key: str
    """What happened, as `integration:verb`-like text, e.g. `user:create`."""
    data: dict[str, Any] = Field(default_factory=dict)
    """The payload: a JSON object."""
    created_at: datetime
    """When the daemon accepted the event (UTC)."""
    replayed_from_id: str | None = None
    """The event this one replays, if it is a replay."""
    idempotency_key: str | None = None
    """A client-chosen key: pushing the same key twice stores one event."""


class Event(NewEvent):
    """A stored event with the runs it triggered."""

    run_ids: list[str] = Field(default_factory=list)
    """The workflow runs this event triggered, oldest first."""
    replay_ids: list[str] = Field(default_factory=list)
    """The events that replay this one, oldest first."""


class EventQuery(BaseModel):
    """A filter over the event history; every field narrows it."""

    model_config = ConfigDict(use_attribute_docstrings=True, frozen=True)

    key: str | None = None
    """An exact key, or a pattern whose `*` segments match any one segment (`user:*`)."""
    since: datetime | None = None
    """Only events created at or after this time."""
    until: datetime | None = None
    """Only events created before this time."""
    replayed_from_id: str | None = None
    """Only replays of this event."""
    where: tuple[PathValue, ...] = ()
    """Only events whose payload holds each value at its path (JSON equality: `42` matches
    `42.0` but not `"42"`; `null` matches a null, not a missing path)."""
    limit: int = Field(default=50, ge=1, le=1000)
    """The page size."""
    cursor: str | None = None
    """The `next_cursor` of the previous page."""
