"""Keyset paging shared by every listing: newest first, stable under concurrent inserts."""

from __future__ import annotations

from typing import Generic, TypeVar

from pydantic import BaseModel, ConfigDict

T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    """One page of a listing, newest first."""

    model_config = ConfigDict(use_attribute_docstrings=True)

    items: list[T]
    """The objects on this page."""
    next_cursor: str | None = None
    """Pass this as `cursor` to get the next (older) page; null on the last page."""
