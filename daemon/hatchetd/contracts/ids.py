"""Identifiers of stored objects."""

from __future__ import annotations

import uuid
from typing import Annotated

from pydantic import WithJsonSchema


def new_id() -> str:
    """A new random id (a UUID4 in its canonical text form).

    Random rather than time-ordered so that a short prefix, as people type it, is unique.
    Listings order by `created_at` and then id, never by id alone.
    """
    return str(uuid.uuid4())


MIN_PREFIX = 4
"""The shortest id prefix that names an event or run; shorter ones would match most of a busy
history, so they are refused (422), not guessed."""

ID_OR_PREFIX_SCHEMA = {
    "type": "string",
    "pattern": rf"^-*(?:[0-9A-Fa-f]-*){{{MIN_PREFIX},}}$",
    "maxLength": 36,
    "description": "A full id, or a unique prefix of it with at least 4 hex digits (any case).",
}
"""What a route that takes an event or run id accepts, as JSON Schema. Anything else is
refused: 404 if it cannot start an id, 422 if it is too short."""

IdOrPrefix = Annotated[str, WithJsonSchema(ID_OR_PREFIX_SCHEMA)]
"""An event or run id as people type it (checked by the API when it resolves it)."""
