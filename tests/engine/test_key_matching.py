"""Trigger patterns: exact keys, and `*` standing for exactly one whole segment."""

from __future__ import annotations

import pytest

from hatchetd.engine.matching import key_matches


@pytest.mark.parametrize(
    ("pattern", "key"),
    [
        ("user:create", "user:create"),
        ("user:*", "user:create"),
        ("*:create", "team:create"),
        ("*:*", "a:b"),
        ("org:*:member:*", "org:acme:member:add"),
        ("user:cr*", "user:cr*"),  # a star inside a segment is plain text
    ],
)
def test_matches(pattern: str, key: str) -> None:
    assert key_matches(pattern, key)


@pytest.mark.parametrize(
    ("pattern", "key"),
    [
        ("user:create", "user:delete"),
        ("user:create", "User:create"),
        ("user:*", "user"),
        ("user:*", "user:create:again"),  # a wildcard never spans a separator
        ("user:*", "team:create"),
        ("*", "user:create"),
        ("user:cr*", "user:create"),
    ],
)
def test_does_not_match(pattern: str, key: str) -> None:
    assert not key_matches(pattern, key)
