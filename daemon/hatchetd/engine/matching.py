"""Which event keys a workflow's trigger patterns match (design §3)."""

from __future__ import annotations

import difflib
from collections.abc import Iterable

WILDCARD = "*"
"""A pattern segment that matches any one segment."""

SEPARATOR = ":"
"""What separates the segments of a key."""


def key_matches(pattern: str, key: str) -> bool:
    """True if `key` is `pattern`, reading each `*` segment of the pattern as any one segment.

    `user:*` matches `user:create` but neither `user:create:x` nor `team:create`: a wildcard
    never spans a separator. A `*` inside a segment (`user:cr*`) is literal text.
    """
    if WILDCARD not in pattern:
        return pattern == key
    wanted = pattern.split(SEPARATOR)
    got = key.split(SEPARATOR)
    return len(wanted) == len(got) and all(
        w in (WILDCARD, g) for w, g in zip(wanted, got, strict=True)
    )


def is_pattern(pattern: str) -> bool:
    """True if `pattern` has a wildcard segment (so it cannot be looked up as an exact key)."""
    return WILDCARD in pattern.split(SEPARATOR)


def similar_keys(key: str, listened: Iterable[str], *, most: int = 3) -> list[str]:
    """The keys (or patterns) of `listened` that look like `key`, closest first: what a push
    that triggered nothing was probably meant to be (`order:payed` → `order:paid`)."""
    return difflib.get_close_matches(key, set(listened), n=most, cutoff=0.6)
