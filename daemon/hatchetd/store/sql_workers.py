"""Workers: registrations, heartbeats and the ACTIVE → LOST / STOPPED transitions."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

import sqlmodel
from sqlalchemy import bindparam, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from hatchetd.contracts.enums import WorkerStatus
from hatchetd.contracts.workers import Worker
from hatchetd.store.sql_base import SqlBase, select_rows
from hatchetd.store.sql_prepared import Prepared
from hatchetd.store.table_models import WorkerRow
from hatchetd.store.tables import workers

WORKER_COLUMNS = tuple(workers.c)
_REPLACED = (
    "name",
    "actions",
    "slots",
    "status",
    "registered_at",
    "last_heartbeat_at",
    "replica_id",
)


def _upsert(insert: Any) -> Any:
    stmt = insert(workers)
    return stmt.on_conflict_do_update(
        index_elements=["id"], set_={name: stmt.excluded[name] for name in _REPLACED}
    )


_SAVE = {"sqlite": _upsert(sqlite.insert), "postgresql": _upsert(postgresql.insert)}
_BY_ID = Prepared(select(*WORKER_COLUMNS).where(workers.c.id == bindparam("id")), WORKER_COLUMNS)
_HEARTBEAT = Prepared(
    update(workers)
    .where(
        workers.c.id == bindparam("worker_id"),
        # A draining worker is still connected and still heard from.
        or_(workers.c.status == WorkerStatus.ACTIVE, workers.c.status == WorkerStatus.DRAINING),
    )
    .values(last_heartbeat_at=bindparam("at", type_=workers.c.last_heartbeat_at.type))
)


class WorkersSql(SqlBase):
    """The worker half of `SqlStore`."""

    def save_worker(self, worker: Worker) -> None:
        """Create or replace a worker."""
        row = {
            "id": worker.id,
            "name": worker.name,
            "actions": worker.actions,
            "slots": worker.slots,
            "status": worker.status,
            "registered_at": worker.registered_at,
            "last_heartbeat_at": worker.last_heartbeat_at,
            "replica_id": worker.replica_id,
        }
        with self._writing() as conn:
            conn.execute(_SAVE[self._dialect], row)
        self._written(worker)

    def get_worker(self, worker_id: str) -> Worker | None:
        """One worker."""
        with self._reading() as conn:
            row = _BY_ID.first(conn, {"id": worker_id})
        return None if row is None else Worker.model_validate(row)

    def list_workers(self, *, statuses: Collection[WorkerStatus] = ()) -> list[Worker]:
        """Workers in one of `statuses` (all, if empty), newest registration first."""
        stmt = sqlmodel.select(WorkerRow).order_by(
            sqlmodel.col(WorkerRow.registered_at).desc(), sqlmodel.col(WorkerRow.id).desc()
        )
        if statuses:
            stmt = stmt.where(sqlmodel.col(WorkerRow.status).in_(list(statuses)))
        with self._reading() as conn:
            rows = select_rows(conn, stmt)
        return [Worker.model_validate(row, from_attributes=True) for row in rows]

    def record_heartbeat(self, worker_id: str, at: datetime) -> bool:
        """Note that a connected (ACTIVE or DRAINING) worker was heard from; False if it is
        unknown or gone."""
        with self._writing() as conn:
            return _HEARTBEAT.rowcount(conn, {"worker_id": worker_id, "at": at}) == 1

    def set_worker_status(
        self, worker_id: str, status: WorkerStatus, *, from_statuses: Collection[WorkerStatus] = ()
    ) -> Worker | None:
        """Change a worker's status if it is in one of `from_statuses` (any, if empty)."""
        row = self._update_row(
            workers, WORKER_COLUMNS, worker_id, {"status": status}, statuses=from_statuses
        )
        if row is None:
            return None
        worker = Worker.model_validate(row)
        self._written(worker)
        return worker
