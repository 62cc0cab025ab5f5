"""Errors the store raises for the engine to act on; each docstring is the default message."""

from __future__ import annotations


class StoreError(Exception):
    """The store could not do what was asked."""

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or self.__doc__ or "")


class StoreTrouble(StoreError):
    """The database cannot do the work now; the same work may succeed later.

    Nothing of the failed transaction was written. Callers answer "try again later" (503 or
    507 with `Retry-After`), and the runtime waits for the database to come back.
    """

    code = "database_unavailable"
    """The API's error code for this trouble."""
    status = 503
    """The API's HTTP status for this trouble."""


class StoreUnavailable(StoreTrouble):
    """The database cannot be opened or reached."""


class StoreInUse(StoreUnavailable):
    """The SQLite database is in use by another hatchetd; SQLite serves one daemon at a time."""

    def __init__(self, database: str, *, pid: int | None = None, host: str | None = None) -> None:
        holder = f" (pid {pid} on host {host})" if pid is not None else ""
        super().__init__(
            f"the SQLite database {database} is in use by another hatchetd{holder}; SQLite serves "
            "one daemon at a time — stop that one, use another --db, or use PostgreSQL to run "
            "several"
        )
        self.database = database
        self.pid = pid
        self.host = host


class StoreLocked(StoreTrouble):
    """The database stayed locked by another writer past the busy timeout."""

    code = "database_locked"


class StoreFull(StoreTrouble):
    """The database's disk is full: nothing more can be written until space is freed."""

    code = "storage_full"
    status = 507


class StoreConflict(StoreError):
    """Another daemon on the same database was changing the same rows at the same moment (a
    deadlock or a serialization failure): the transaction was rolled back and can be run again
    at once."""


class RunBusy(StoreError):
    """Another daemon's transaction holds the run's lock right now (`lock_run(wait=False)`)."""

    def __init__(self, run_id: str) -> None:
        super().__init__(f"run {run_id} is locked by another daemon right now")
        self.run_id = run_id


class IdempotencyKeyTaken(StoreError):
    """An event with this idempotency key already exists."""

    def __init__(self, key: str) -> None:
        super().__init__(f"an event with idempotency key {key!r} already exists")
        self.key = key


class RunIdempotencyKeyTaken(StoreError):
    """A workflow run with this idempotency key already exists."""

    def __init__(self, key: str) -> None:
        super().__init__(f"a run with idempotency key {key!r} already exists")
        self.key = key


class CronTickTaken(StoreError):
    """A run for this workflow and cron tick already exists."""

    def __init__(self, workflow_name: str, tick: str) -> None:
        super().__init__(f"workflow {workflow_name!r} already has a run for the tick at {tick}")
        self.workflow_name = workflow_name
        self.tick = tick


class UnsupportedDatabase(StoreError):
    """The database URL names a database this store does not support."""
