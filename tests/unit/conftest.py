"""Fixtures of the unit tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.unit.stand_in_daemon import Daemon, serving


@pytest.fixture
def daemon() -> Iterator[Daemon]:
    """A stand-in daemon on a free local port (`stand_in_daemon.py`)."""
    with serving() as state:
        yield state
