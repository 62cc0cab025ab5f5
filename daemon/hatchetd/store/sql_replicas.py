"""Replicas: each hatchetd process's lease row, renewed as it commits."""

from __future__ import annotations

from datetime import datetime

import sqlmodel
from sqlalchemy import bindparam, insert, update

from hatchetd.contracts.replicas import Replica
from hatchetd.store.sql_base import SqlBase, get_row, select_rows
from hatchetd.store.sql_prepared import Prepared
from hatchetd.store.table_models import ReplicaRow
from hatchetd.store.tables import replicas

_RENEW = Prepared(
    update(replicas)
    .where(replicas.c.id == bindparam("replica_id"))
    .values(
        renewed_at=bindparam("at", type_=replicas.c.renewed_at.type),
        commit_seq=bindparam("seq", type_=replicas.c.commit_seq.type),
    )
)


class ReplicasSql(SqlBase):
    """The replica half of `SqlStore`."""

    def register_replica(self, replica: Replica) -> None:
        """Record a starting hatchetd process."""
        with self._writing() as conn:
            conn.execute(insert(replicas), replica.model_dump())

    def renew_replica(self, replica_id: str, at: datetime, commit_seq: int) -> bool:
        """Renew a replica's lease and record its committed batches; False if it is unknown.

        Always a write, so it also proves the database takes writes now (after an outage).
        """
        with self._writing() as conn:
            return (
                _RENEW.rowcount(conn, {"replica_id": replica_id, "at": at, "seq": commit_seq}) == 1
            )

    def stop_replica(self, replica_id: str, at: datetime) -> None:
        """Mark a replica as stopped cleanly at `at`."""
        stmt = update(replicas).where(replicas.c.id == replica_id)
        with self._writing() as conn:
            conn.execute(stmt.values(stopped_at=at, renewed_at=at))

    def get_replica(self, replica_id: str) -> Replica | None:
        """One replica."""
        with self._reading() as conn:
            row = get_row(conn, ReplicaRow, replica_id)
        return None if row is None else Replica.model_validate(row, from_attributes=True)

    def list_replicas(self) -> list[Replica]:
        """Every replica that has served this store, most recently renewed first."""
        stmt = sqlmodel.select(ReplicaRow).order_by(
            sqlmodel.col(ReplicaRow.renewed_at).desc(), sqlmodel.col(ReplicaRow.id)
        )
        with self._reading() as conn:
            rows = select_rows(conn, stmt)
        return [Replica.model_validate(row, from_attributes=True) for row in rows]
