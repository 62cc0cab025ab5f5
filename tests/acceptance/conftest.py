"""Fixtures for the acceptance tests: a real hatchetd per test, on SQLite and on PostgreSQL."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from acceptance_support import PG_URL_VARIABLE, Daemon, Workers, start_daemon, stop


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str | None]:
    """The default SQLite store, or a fresh PostgreSQL database when one is configured."""
    if request.param == "sqlite":
        yield None
        return
    base = os.environ.get(PG_URL_VARIABLE)
    if not base:
        pytest.skip(f"{PG_URL_VARIABLE} is not set: PostgreSQL acceptance tests skipped")
    import psycopg

    name = f"hatchet_accept_{os.getpid()}_{time.monotonic_ns()}"
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield base.rsplit("/", 1)[0] + "/" + name
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    path = tmp_path / "project" / ".hatchet"
    path.mkdir(parents=True)
    return path


@pytest.fixture
def daemon(folder: Path, database_url: str | None) -> Iterator[Daemon]:
    d = start_daemon(folder, database_url=database_url)
    yield d
    code = stop(d.process)
    assert code == 0, f"hatchetd exited {code} on SIGTERM"


@pytest.fixture
def workers() -> Iterator[Workers]:
    w = Workers()
    yield w
    for process in w.processes:
        stop(process)
