"""Fixtures of the engine tests: a real SQLite store, a fake clock, a workflow folder."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from hatchetd.engine import FakeClock
from hatchetd.store import Store, open_store
from tests.engine.harness import Daemon


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    """A fresh SQLite store in the test's temporary folder."""
    the_store = open_store(f"sqlite:///{tmp_path / '.hatchetd' / 'hatchet.db'}")
    yield the_store
    the_store.close()


@pytest.fixture
def clock() -> FakeClock:
    """Time that moves only when the test says so."""
    return FakeClock()


@pytest.fixture
def daemon(store: Store, clock: FakeClock, tmp_path: Path) -> Daemon:
    """An engine as hatchetd runs it, with an empty workflow folder; `$GREETING` is set."""
    folder = tmp_path / ".hatchet"
    folder.mkdir()
    return Daemon(store, clock, folder, environ={"GREETING": "Hello"})
