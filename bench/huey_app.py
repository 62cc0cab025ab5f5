"""The peer: huey with its SQLite storage (fsync on), doing the benchmark's work.

    huey_consumer bench.huey_app.huey -k thread -w 4 ...

The database file comes from `$BENCH_HUEY_DB`. The storage counts its write transactions that
changed something (each one a commit, and an fsync in WAL mode with synchronous=FULL); the
consumer writes the count on SIGUSR1 (`bench.probe`), the benchmark process reads its own.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
import time
from collections.abc import Iterator

from huey import SqliteHuey  # type: ignore[import-untyped]
from huey.storage import SqliteStorage  # type: ignore[import-untyped]

from bench import probe

DB_VARIABLE = "BENCH_HUEY_DB"
QUEUE = "bench"


class CountingSqliteStorage(SqliteStorage):  # type: ignore[misc]
    """huey's SqliteStorage, counting the commits that wrote something."""

    commits = 0
    _count_lock = threading.Lock()

    @contextlib.contextmanager
    def db(self, commit: bool = False, close: bool = False) -> Iterator[sqlite3.Cursor]:
        with super().db(commit=commit, close=close) as cursor:
            before = cursor.connection.total_changes
            yield cursor
            changed = cursor.connection.total_changes != before
        if commit and changed:
            with self._count_lock:
                CountingSqliteStorage.commits += 1


class BenchHuey(SqliteHuey):  # type: ignore[misc]
    storage_class = CountingSqliteStorage


huey = BenchHuey(QUEUE, filename=os.environ.get(DB_VARIABLE, "huey-bench.db"), fsync=True)


@huey.task()  # type: ignore[untyped-decorator]
def noop(previous: float | None = None) -> float:
    """Trivial work: return when it started (`time.time()`). A pipeline's next task gets the
    previous one's result as `previous`."""
    return time.time()


def commits() -> int:
    """Commits this process's huey storage made so far."""
    return CountingSqliteStorage.commits


probe.install(lambda: {"commits": commits()})
