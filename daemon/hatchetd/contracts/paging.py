"""Keyset paging shared by every listing: newest first, stable under concurrent inserts."""

from __future__ import annotations

from typing import Annotated, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, WithJsonSchema

T = TypeVar("T")

CURSOR_PATTERN = r"^([0-9]{1,16})_([0-9a-f-]{1,36})$"
"""Every cursor: microseconds since 1970 (UTC) of the last row's creation, `_`, the row's id.

Any text of this shape is a position to page on from (the OpenAPI document says so, and a
client fuzzing the API finds it true); anything else is refused as no cursor of ours."""


Cursor = Annotated[str, WithJsonSchema({"type": "string", "pattern": CURSOR_PATTERN})]
"""A `cursor` parameter (the store refuses one not of this shape: `bad_cursor`, 400)."""


class Page(BaseModel, Generic[T]):
    """One page of a listing, newest first."""

    model_config = ConfigDict(use_attribute_docstrings=True)

    items: list[T]
    """The objects on this page."""
    next_cursor: str | None = None
    """Pass this as `cursor` to get the next (older) page; null on the last page."""
