"""Fixtures for tests that run real processes: a store per test, a folder, a daemon, workers.

Shared by `tests/acceptance/` and `tests/reliability/`: each conftest imports them by name, which
is how pytest finds fixtures defined in another module.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from acceptance_support import PG_URL_VARIABLE, Daemon, Workers, start_daemon, stop


def new_pg_database(base: str) -> str:
    """A fresh, empty PostgreSQL database beside the one `base` names; its URL."""
    import psycopg

    name = f"hatchet_accept_{os.getpid()}_{time.monotonic_ns()}"
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return base.rsplit("/", 1)[0] + "/" + name


def drop_pg_database(base: str, url: str) -> None:
    """Drop a database `new_pg_database` made, whoever is still connected to it."""
    import psycopg

    name = url.rsplit("/", 1)[1]
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest) -> Iterator[str | None]:
    """The default SQLite store, or a fresh PostgreSQL database when one is configured."""
    if request.param == "sqlite":
        yield None
        return
    yield from _fresh_postgres("PostgreSQL tests with real processes skipped")


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL database, for tests that need PostgreSQL itself (skipped without)."""
    yield from _fresh_postgres("this test needs PostgreSQL")


def _fresh_postgres(why_skipped: str) -> Iterator[str]:
    base = os.environ.get(PG_URL_VARIABLE)
    if not base:
        pytest.skip(f"{PG_URL_VARIABLE} is not set: {why_skipped}")
    url = new_pg_database(base)
    yield url
    drop_pg_database(base, url)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """An empty watched folder, `<tmp>/project/.hatchet`."""
    path = tmp_path / "project" / ".hatchet"
    path.mkdir(parents=True)
    return path


@pytest.fixture
def daemon(folder: Path, database_url: str | None) -> Iterator[Daemon]:
    """A real hatchetd on `folder` and the test's store; it must exit 0 on SIGTERM."""
    d = start_daemon(folder, database_url=database_url)
    yield d
    code = stop(d.process)
    assert code == 0, f"hatchetd exited {code} on SIGTERM"


@pytest.fixture
def workers() -> Iterator[Workers]:
    """Worker processes a test starts; each is stopped when it ends."""
    w = Workers()
    yield w
    for process in w.processes:
        stop(process)
