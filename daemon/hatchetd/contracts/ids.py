"""Identifiers of stored objects."""

from __future__ import annotations

import uuid


def new_id() -> str:
    """A new random id (a UUID4 in its canonical text form).

    Random rather than time-ordered so that a short prefix, as people type it, is unique.
    Listings order by `created_at` and then id, never by id alone.
    """
    return str(uuid.uuid4())
