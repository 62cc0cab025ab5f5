"""A SQLite store that is locked or out of disk is an answer, not a 500 (issue 10, item 2).

- Another process holding the write lock past the busy timeout: pushes get 503
  `database_locked` with `Retry-After` after at most one busy timeout (the batch is not replayed
  command by command, which multiplied the wait), reads still work, nothing refused is stored
  later, and the daemon takes work again within about a second of the lock's release.
- The disk filling up: pushes get 507 `storage_full` with `Retry-After`, the same keep-alive
  connection keeps working, and once space is freed the daemon takes work again by itself.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import shutil
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from acceptance_support import Daemon, start_daemon, stop, wait_for
from reliability_support import record_figures

BUSY_TIMEOUT = 5.0  # hatchetd's SQLite busy timeout (store/sql_base.py)


def events_stored(daemon: Daemon) -> list[dict[str, Any]]:
    listed: list[dict[str, Any]] = daemon.get("/api/v1/events", limit=1000)["items"]
    return listed


def push(client: httpx.Client, n: int, data: dict[str, Any] | None = None) -> httpx.Response:
    return client.post(
        "/api/v1/events", json={"key": "trouble:test", "data": {"n": n, **(data or {})}}
    )


@pytest.fixture
def sqlite_daemon(folder: Path) -> Iterator[Daemon]:
    daemon = start_daemon(folder)
    yield daemon
    code = stop(daemon.process)
    assert code == 0, "".join(daemon.output)


def test_a_lock_held_past_the_busy_timeout_is_503_database_locked(
    folder: Path, sqlite_daemon: Daemon
) -> None:
    daemon = sqlite_daemon
    database = folder.parent / ".hatchetd" / "hatchet.db"
    with httpx.Client(base_url=daemon.address, timeout=30) as client:
        assert push(client, 0).status_code == 201
        holder = sqlite3.connect(database, isolation_level=None)
        holder.execute("BEGIN EXCLUSIVE")  # another program takes the write lock and keeps it
        try:
            started = time.monotonic()
            with concurrent.futures.ThreadPoolExecutor(5) as pool:
                answers = list(pool.map(lambda n: timed_push(daemon, n), range(1, 6)))
            for response, took in answers:
                assert response.status_code == 503, response.text
                assert response.json()["error"]["code"] == "database_locked"
                assert int(response.headers["retry-after"]) >= 1
                # One busy timeout at most (plus scheduling), not one per command of the batch.
                assert took < BUSY_TIMEOUT + 3, f"refused after {took:.1f} s"
            assert time.monotonic() - started < 2 * BUSY_TIMEOUT + 3
            ready = client.get("/readyz")
            assert ready.status_code == 503
            assert ready.json()["error"]["code"] == "database_locked"
            assert client.get("/api/v1/events").status_code == 200  # readers are not blocked
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        released = time.monotonic()
        wait_for(lambda: client.get("/readyz").status_code == 200, timeout=15, what="ready")
        # The probe in flight when the lock went may wait out its own busy timeout.
        assert time.monotonic() - released < 2.5
        recovered_in = time.monotonic() - released
        assert push(client, 6).status_code == 201
    # Refused means not stored, then or later.
    assert sorted(e["data"]["n"] for e in events_stored(daemon)) == [0, 6]
    record_figures(
        "sqlite locked past the busy timeout",
        refused_after_s=[round(took, 2) for _, took in answers],
        recovered_after_release_s=round(recovered_in, 2),
        stored_of_refused=0,
    )


def timed_push(daemon: Daemon, n: int) -> tuple[httpx.Response, float]:
    with httpx.Client(base_url=daemon.address, timeout=30) as client:
        started = time.monotonic()
        response = push(client, n)
        return response, time.monotonic() - started


@contextlib.contextmanager
def small_tmpfs(path: Path, size: str) -> Iterator[Path]:
    path.mkdir(parents=True)
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip() or mounted.returncode}")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


def fill(path: Path) -> Path:
    """Write a file until the filesystem is full; return it."""
    filler = path / "filler"
    with filler.open("wb", buffering=0) as f:
        chunk = b"\0" * 65536
        with contextlib.suppress(OSError):
            while True:
                f.write(chunk)
        # Whatever bytes are left (less than a chunk) go too.
        with contextlib.suppress(OSError):
            while True:
                f.write(b"\0" * 512)
    return filler


def test_a_full_disk_is_507_storage_full_and_recovers_when_space_is_freed(
    folder: Path,
) -> None:
    state = folder.parent / ".hatchetd"
    with small_tmpfs(state, "8m"):
        daemon = start_daemon(folder)
        try:
            with httpx.Client(base_url=daemon.address, timeout=30) as client:
                assert push(client, 0).status_code == 201
                filler = fill(state)
                big = {"blob": "x" * 700_000}  # needs new pages in the WAL: no room for them
                refused = push(client, 1, big)
                assert refused.status_code == 507, refused.text
                assert refused.json()["error"]["code"] == "storage_full"
                assert int(refused.headers["retry-after"]) >= 1
                # The same keep-alive connection still answers (it used to be reset).
                ready = client.get("/readyz")
                assert ready.status_code == 503
                assert ready.json()["error"]["code"] == "storage_full"
                again = push(client, 2)
                assert again.status_code == 507, again.text

                filler.unlink()  # someone frees space
                freed = time.monotonic()
                wait_for(lambda: client.get("/readyz").status_code == 200, what="ready")
                recovered_in = time.monotonic() - freed
                assert recovered_in < 3
                assert push(client, 3, big).status_code == 201
                record_figures(
                    "sqlite disk full (8 MiB tmpfs)",
                    refused=[refused.status_code, again.status_code],
                    recovered_after_freeing_s=round(recovered_in, 2),
                )
            assert sorted(e["data"]["n"] for e in events_stored(daemon)) == [0, 3]
        finally:
            code = stop(daemon.process)
            shutil.rmtree(state / "unused", ignore_errors=True)
        assert code == 0, "".join(daemon.output)
