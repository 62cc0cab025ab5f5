"""`SqlStore`: the one implementation of `Store`, for SQLite and PostgreSQL alike."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from sqlalchemy import URL, Engine, make_url
from sqlalchemy.exc import DBAPIError

from hatchetd.store.errors import StoreInUse, StoreTrouble
from hatchetd.store.migrations import MIGRATIONS, Migration, migrate
from hatchetd.store.protocol import Store
from hatchetd.store.sql_cluster import ClusterSql
from hatchetd.store.sql_connect import make_engine, parse_url, unavailable
from hatchetd.store.sql_events import EventsSql
from hatchetd.store.sql_replicas import ReplicasSql
from hatchetd.store.sql_runs import RunsSql
from hatchetd.store.sql_step_runs import StepRunsSql
from hatchetd.store.sql_workers import WorkersSql
from hatchetd.store.sql_workflows import WorkflowsSql
from hatchetd.store.sqlite_lock import SqliteLock, hold_sqlite_file


class SqlStore(EventsSql, WorkflowsSql, RunsSql, StepRunsSql, WorkersSql, ReplicasSql, ClusterSql):
    """The store on a SQL database through SQLAlchemy Core.

    Split along the domain's nouns into one part per module; they share the engine and the
    transaction in progress through `SqlBase`.
    """


if TYPE_CHECKING:
    _implements_the_protocol: type[Store] = SqlStore  # mypy checks every method's signature


def open_store(
    url: str, *, migrations: Sequence[Migration] = MIGRATIONS, exclusive: bool = False
) -> Store:
    """Open the database at `url`, bring its schema up to date, and return the store on it.

    `sqlite:///path/to/file.db` (its folder is created) or `postgresql://…`. Raises
    `UnsupportedDatabase` for any other URL and `StoreUnavailable`, naming the URL without its
    password, when the database cannot be opened, reached or migrated.

    `exclusive` is for the daemon: a SQLite file is then held for this store alone until it is
    closed (`sqlite_lock.py`), and `StoreInUse` is raised, before anything is read or migrated,
    if another store holds it. PostgreSQL is shared whatever `exclusive` says.
    """
    parsed = parse_url(url)
    engine: Engine | None = None
    file_lock: SqliteLock | None = None
    try:
        engine = make_engine(parsed)  # connects lazily: the file is not touched before the lock
        file_lock = _hold(parsed) if exclusive else None
        migrate(engine, migrations)
    except BaseException as exc:
        if engine is not None:
            engine.dispose()
        if file_lock is not None:
            file_lock.release()
        if isinstance(exc, StoreInUse):
            raise
        if isinstance(exc, DBAPIError | OSError | StoreTrouble):
            # Named as the user wrote it (`postgres://…`), not as rewritten for the driver.
            raise unavailable(make_url(url), exc) from exc
        raise
    return SqlStore(engine, file_lock)


def _hold(url: URL) -> SqliteLock | None:
    if url.get_backend_name() != "sqlite" or not url.database:
        return None
    return hold_sqlite_file(url.database)
