"""The PostgreSQL server the PG section measures on: is it there, what it is, and a fresh
database per system.

Every system measured (hatchetd at each replica count, procrastinate) gets a database of its
own, created here and dropped afterwards whoever is still connected, so no figure reads rows or
bloat another left behind.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable, Iterator
from typing import Any

import psycopg

from bench.stats import percentile

CONNECT_TIMEOUT = 3


def unreachable(base_url: str) -> str | None:
    """Why the server at `base_url` cannot be used, or None when it can."""
    try:
        with psycopg.connect(base_url, autocommit=True, connect_timeout=CONNECT_TIMEOUT) as conn:
            conn.execute("SELECT 1")
    except psycopg.Error as exc:
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return f"PostgreSQL at {_redacted(base_url)} is not reachable: {first_line}"
    return None


def server(base_url: str) -> dict[str, Any]:
    """What the figures depend on: the server's version and its durability settings."""
    with psycopg.connect(base_url, autocommit=True, connect_timeout=CONNECT_TIMEOUT) as conn:
        found: dict[str, Any] = {"url": _redacted(base_url)}
        for setting in ("server_version", "synchronous_commit", "fsync", "max_connections"):
            row = conn.execute(f"SHOW {setting}").fetchone()
            found[setting] = row[0] if row else None
        return found


def round_trips(url: str, count: int = 500) -> dict[str, float]:
    """What one statement and one durable commit cost on this server now, p50 and p99 in µs:
    `SELECT 1` in a loop (a round trip), and a one-row UPDATE committed (a WAL flush, with
    `synchronous_commit` as the server has it). hatchetd's engine makes its statements one
    after another, so these bound what one replica can do."""
    with connect(url) as conn:
        selects = [_timed(lambda: conn.execute("SELECT 1").fetchone()) for _ in range(count)]
        conn.execute("CREATE TABLE bench_probe (id int PRIMARY KEY, n int)")
        conn.execute("INSERT INTO bench_probe VALUES (1, 0)")

        def commit() -> None:
            with conn.transaction():
                conn.execute("UPDATE bench_probe SET n = n + 1 WHERE id = 1")

        commits = [_timed(commit) for _ in range(count)]
        conn.execute("DROP TABLE bench_probe")
    return {
        "select_p50_us": round(percentile(selects, 50) * 1e6, 1),
        "select_p99_us": round(percentile(selects, 99) * 1e6, 1),
        "commit_p50_us": round(percentile(commits, 50) * 1e6, 1),
        "commit_p99_us": round(percentile(commits, 99) * 1e6, 1),
    }


def _timed(call: Callable[[], object]) -> float:
    started = time.perf_counter()
    call()
    return time.perf_counter() - started


@contextlib.contextmanager
def fresh_database(base_url: str, label: str) -> Iterator[str]:
    """A new, empty database beside the one `base_url` names, for one measured system; its
    URL. Dropped on the way out, with (FORCE): a daemon killed late may still hold it."""
    name = f"hatchet_bench_{label}_{os.getpid()}_{time.monotonic_ns() % 10**9}"
    with psycopg.connect(base_url, autocommit=True, connect_timeout=CONNECT_TIMEOUT) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield base_url.rsplit("/", 1)[0] + "/" + name
    finally:
        with psycopg.connect(base_url, autocommit=True, connect_timeout=CONNECT_TIMEOUT) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def connect(url: str) -> psycopg.Connection[tuple[Any, ...]]:
    """A read connection for the benchmark's polls (autocommit: each poll sees the latest
    commits, and no transaction stays open holding back vacuum)."""
    return psycopg.connect(url, autocommit=True, connect_timeout=CONNECT_TIMEOUT)


def _redacted(url: str) -> str:
    scheme, sep, rest = url.partition("://")
    if "@" not in rest:
        return url
    credentials, _, host = rest.rpartition("@")
    user = credentials.split(":", 1)[0]
    return f"{scheme}{sep}{user}@{host}"
