"""The PostgreSQL peer: procrastinate doing the benchmark's work.

    python -m procrastinate --app bench.procrastinate_app.app worker --concurrency N

The database comes from `$BENCH_PROCRASTINATE_DB` (read at import, as the worker imports the app
by name); the benchmark process uses `app.with_connector(...)` on its own database instead.
procrastinate stores no results, so the task appends its job id and when it started to
`$BENCH_PROCRASTINATE_STARTS`: the benchmark reads start times (and counts executions) there.
"""

from __future__ import annotations

import functools
import os
import time
from typing import TextIO

from procrastinate import App, JobContext, PsycopgConnector

DB_VARIABLE = "BENCH_PROCRASTINATE_DB"
STARTS_VARIABLE = "BENCH_PROCRASTINATE_STARTS"
POOL_VARIABLE = "BENCH_PROCRASTINATE_POOL"
TASK = "bench_noop"


def connector(url: str, pool: int = 4) -> PsycopgConnector:
    """psycopg 3 with a pool of up to `pool` connections (at least 4, psycopg_pool's default):
    the worker gets its concurrency's worth, so no job waits for a connection."""
    return PsycopgConnector(conninfo=url, min_size=min(4, pool), max_size=max(4, pool))


app = App(
    connector=connector(
        os.environ.get(DB_VARIABLE, "postgresql:///procrastinate_bench"),
        int(os.environ.get(POOL_VARIABLE, "4")),
    )
)


@functools.cache
def journal() -> TextIO:
    """The starts file, opened at the first job (only the worker writes it). Line-buffered:
    one write per job, and nothing lost if the worker is killed."""
    return open(os.environ[STARTS_VARIABLE], "a", buffering=1)


@app.task(name=TASK, pass_context=True)
async def noop(context: JobContext, i: int) -> None:
    """Trivial work, like hatchet's `bench:noop`: note when it started (`time.time()`)."""
    started = time.time()
    journal().write(f"{context.job.id} {started!r}\n")
