"""What several daemons on one database share besides the rows: run locks, signals, leadership.

PostgreSQL is a *shared* store: any number of hatchetd replicas may serve it at once. Each
transaction that changes a run first locks the run's row and bumps its `version`
(`lock_run`), which serialises the replicas' work on one run and tells a replica whether its
memory of the run is still current. Each committed batch tells the other replicas what it wrote
with `NOTIFY` (`notify`; `sql_listener.py` receives them), and one replica at a time, chosen by
an advisory lock (`sql_leader.py`), runs the store-wide chores.

SQLite is single-node: `shared` is False, the engine takes no run locks, signals go nowhere and
the one daemon always leads.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from sqlalchemy import Connection, bindparam, select, text, update

from hatchetd.contracts.enums import RunStatus, StepRunStatus
from hatchetd.contracts.runs import StepRun
from hatchetd.store.errors import RunBusy
from hatchetd.store.protocol import Leadership
from hatchetd.store.sql_base import SqlBase
from hatchetd.store.sql_connect import channel
from hatchetd.store.sql_leader import SoleLeader, SqlLeader
from hatchetd.store.sql_listener import SqlListener
from hatchetd.store.sql_prepared import Prepared
from hatchetd.store.sql_step_runs import STEP_RUN_COLUMNS
from hatchetd.store.tables import step_runs, workers, workflow_runs

_OPEN = (RunStatus.PENDING, RunStatus.RUNNING)
_HELD = (StepRunStatus.ASSIGNED, StepRunStatus.RUNNING)

_LOCK_RUN = Prepared(
    update(workflow_runs)
    .where(
        workflow_runs.c.id == bindparam("run_id"),
        workflow_runs.c.status.in_(
            [bindparam(f"s{i}", type_=workflow_runs.c.status.type) for i in range(len(_OPEN))]
        ),
    )
    .values(version=workflow_runs.c.version + 1)
    .returning(workflow_runs.c.version),
    (workflow_runs.c.version,),
)
_LOCK_PARAMS = {f"s{i}": status for i, status in enumerate(_OPEN)}
_OPEN_RUN = workflow_runs.c.status.in_(
    [bindparam(f"s{i}", type_=workflow_runs.c.status.type) for i in range(len(_OPEN))]
)
_TRY_LOCK_RUN = Prepared(
    update(workflow_runs)
    .where(
        workflow_runs.c.id
        == (
            select(workflow_runs.c.id)
            .where(workflow_runs.c.id == bindparam("run_id"), _OPEN_RUN)
            .with_for_update(skip_locked=True)
            .scalar_subquery()
        )
    )
    .values(version=workflow_runs.c.version + 1)
    .returning(workflow_runs.c.version),
    (workflow_runs.c.version,),
)
_IS_OPEN = Prepared(
    select(workflow_runs.c.id).where(workflow_runs.c.id == bindparam("run_id"), _OPEN_RUN),
    (workflow_runs.c.id,),
)


_SILENT_HOLDS = (
    select(*STEP_RUN_COLUMNS)
    .join(workers, workers.c.id == step_runs.c.worker_id)
    .where(
        step_runs.c.status.in_(list(_HELD)),
        workers.c.last_heartbeat_at < bindparam("cutoff", type_=workers.c.last_heartbeat_at.type),
        (workers.c.replica_id.is_(None)) | (workers.c.replica_id != bindparam("replica_id")),
    )
    .order_by(step_runs.c.created_at, step_runs.c.id)
)


def channel_of(conn: Connection) -> str:
    """The NOTIFY channel of the schema `conn` works in (`sql_connect.channel`)."""
    return channel(conn.execute(text("SELECT current_schema()")).scalar_one())


class ClusterSql(SqlBase):
    """The coordination half of `SqlStore`."""

    _lock_memo: tuple[object, dict[str, int]] | None = None
    _channel: str | None = None

    @property
    def shared(self) -> bool:
        """Whether other daemons may serve this database at the same time (PostgreSQL)."""
        return self._dialect == "postgresql"

    def lock_run(self, run_id: str, *, wait: bool = True) -> int | None:
        """Lock a run that is not final for the rest of the transaction and return its
        version, bumped once per transaction; None if there is no such run or it is final.
        With `wait=False`, raise `RunBusy` rather than wait for another daemon's lock.

        Call it before changing anything of the run (its job runs and step runs included), so
        that every daemon takes its locks in the same order: run first, then its rows.
        """
        with self._writing() as conn:
            transaction = conn.get_transaction()
            memo = self._lock_memo
            if memo is None or memo[0] is not transaction:
                # A strong reference to the transaction: a new one can never have its identity.
                memo = self._lock_memo = (transaction, {})
            locked = memo[1]
            if run_id in locked:
                return locked[run_id]
            params = {"run_id": run_id, **_LOCK_PARAMS}
            row = (_LOCK_RUN if wait else _TRY_LOCK_RUN).first(conn, params)
            if row is None:
                if not wait and _IS_OPEN.first(conn, params) is not None:
                    raise RunBusy(run_id)
                return None
            version: int = row["version"]
            locked[run_id] = version
            return version

    def notify(self, payloads: Sequence[str]) -> None:
        """Tell the other daemons on this database (inside the batch: they hear it when it
        commits, in commit order). Each payload must fit `NOTIFY_LIMIT` bytes. Nothing on
        SQLite."""
        if not self.shared or not payloads:
            return
        with self._writing() as conn:
            channel = self._channel_for(conn)
            for payload in payloads:
                conn.execute(
                    text("SELECT pg_notify(:channel, :payload)"),
                    {"channel": channel, "payload": payload},
                )

    def listen(self, on_payload: Callable[[str | None], None]) -> Callable[[], None]:
        """Call `on_payload` (on a thread of its own) with every payload other daemons
        `notify`, and with None whenever some may have been missed (at the start and after a
        reconnection: read the store again). Returns the function that stops it. SQLite: no
        other daemon can notify, so nothing is started."""
        if not self.shared:
            return lambda: None
        listener = SqlListener(self._engine, on_payload)
        listener.start()
        return listener.stop

    def leadership(self) -> Leadership:
        """Who runs the store-wide chores (deadlines, cron, lost workers): on PostgreSQL the
        holder of an advisory lock, on SQLite always this daemon."""
        if not self.shared:
            return SoleLeader()
        return SqlLeader(self._engine)

    def list_silent_holds(self, cutoff: datetime, replica_id: str) -> list[StepRun]:
        """Step runs (ASSIGNED or RUNNING) held by workers not connected to replica
        `replica_id` whose last recorded heartbeat is before `cutoff`: the workers of a daemon
        that died or of an earlier process, silent for a lease."""
        with self._reading() as conn:
            rows = conn.execute(_SILENT_HOLDS, {"cutoff": cutoff, "replica_id": replica_id})
            found = rows.mappings().all()
        return [StepRun.model_validate(dict(row)) for row in found]

    def _channel_for(self, conn: Connection) -> str:
        if self._channel is None:
            self._channel = channel_of(conn)
        return self._channel
