"""Worker liveness: connections, heartbeats, draining, and what happens to the work of a silent
worker.

A worker is in the pool while its socket is open and it keeps talking. When it disconnects, or
misses heartbeats for a lease (it becomes LOST), it leaves the pool at once, but the step runs
it holds stay on the books: it may reconnect under a new identity and re-send their results.
Once it has been silent for a whole lease, those step runs are cancelled with `WORKER_LOST`
and their jobs fail.

A worker that is shutting down says so first (DRAINING): it stays connected to finish what it
started, is given nothing more, and what it was given but had not started goes back to the
queue at once instead of waiting out a lease.

Last-heard times live in memory, so the check that runs on every tick reads nothing. That check
covers this daemon's own workers. The workers of other daemons on a shared database, and of this
daemon's earlier processes, are covered by the sweep (`Workers.sweep`), which reads the
heartbeats the store records: the leader runs it, and it declares a worker lost only when its
own heartbeats stopped — never because another daemon restarted.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from hatchetd.contracts.enums import WorkerStatus
from hatchetd.contracts.ids import new_id
from hatchetd.contracts.runs import StepRun
from hatchetd.contracts.workers import CONNECTED, Worker
from hatchetd.engine.clock import Clock
from hatchetd.engine.controller import Controller
from hatchetd.engine.pool import Assignment, PoolWorker, WorkerPool
from hatchetd.store import Store

DEFAULT_HEARTBEAT_INTERVAL = 5.0
"""Seconds between the heartbeats a worker is asked to send."""
LEASE_HEARTBEATS = 3
"""A worker is lost after this many heartbeat intervals without a word."""


class Workers:
    """Registers workers and notices when they go silent."""

    def __init__(
        self,
        store: Store,
        clock: Clock,
        pool: WorkerPool,
        controller: Controller,
        *,
        lease: float,
        replica_id: str,
    ) -> None:
        if lease <= 0:
            raise ValueError(f"the lease must be more than zero seconds, not {lease}")
        self._store = store
        self._clock = clock
        self._pool = pool
        self._controller = controller
        self._lease = timedelta(seconds=lease)
        self._replica_id = replica_id

    @property
    def lease(self) -> timedelta:
        """How long a worker may be silent before it is lost."""
        return self._lease

    def connected(self, name: str, actions: Sequence[str], slots: int) -> Worker:
        """A worker registered: it gets a new identity, is saved ACTIVE and joins the pool."""
        now = self._clock.now()
        worker = Worker(
            id=new_id(),
            name=name,
            actions=list(dict.fromkeys(actions)),
            slots=slots,
            status=WorkerStatus.ACTIVE,
            registered_at=now,
            last_heartbeat_at=now,
            replica_id=self._replica_id,
        )
        self._store.save_worker(worker)
        self._pool.add(_pool_worker(worker))
        return worker

    def disconnected(self, worker_id: str) -> None:
        """The worker's socket closed: STOPPED, out of the pool; its step runs wait a lease."""
        self._pool.leave(worker_id)
        self._store.set_worker_status(worker_id, WorkerStatus.STOPPED, from_statuses=CONNECTED)

    def draining(self, worker_id: str) -> list[StepRun]:
        """The worker is shutting down: DRAINING, given nothing more; the step runs it holds
        and has not started are handed back (see `Controller.hand_back`) and returned. A worker
        that is not connected (lost meanwhile) changes nothing."""
        now = self._clock.now()
        worker = self._pool.drain(worker_id)
        if worker is None:
            return []
        self._pool.heard(worker_id, now)
        self._store.set_worker_status(
            worker_id, WorkerStatus.DRAINING, from_statuses=(WorkerStatus.ACTIVE,)
        )
        return self._controller.hand_back(worker_id, self._pool.assignments_of(worker_id))

    def heartbeat(self, worker_id: str) -> bool:
        """The worker is alive; False if it is not in the pool (it was lost or never was)."""
        now = self._clock.now()
        if not self._pool.heard(worker_id, now):
            return False
        if not self._store.record_heartbeat(worker_id, now):
            # The store no longer has it connected: another daemon declared it lost while this
            # one could not record its heartbeats. It must register again.
            self._pool.leave(worker_id)
            return False
        return True

    def check(self) -> list[str]:
        """Mark LOST every connected worker silent for longer than the lease, and cancel the
        step runs of every absent worker silent that long (`WORKER_LOST`). Returns the ids of
        the workers marked LOST."""
        now = self._clock.now()
        cutoff = now - self._lease
        lost: list[str] = []
        for worker in [w for w in self._pool.connected.values() if w.last_heard < cutoff]:
            self._pool.leave(worker.id)
            self._store.set_worker_status(worker.id, WorkerStatus.LOST, from_statuses=CONNECTED)
            lost.append(worker.id)
        for absent in [a for a in self._pool.absent.values() if a.last_heard < cutoff]:
            for held in self._pool.assignments_of(absent.id):
                self._controller.worker_lost(held)
            del self._pool.absent[absent.id]
        return lost

    def sweep(self) -> list[str]:
        """The store-wide check, for the workers that are not this daemon's: mark LOST every
        worker the store has connected whose recorded heartbeats stopped a lease ago, and
        cancel the step runs such workers hold (`WORKER_LOST`, retried if the step has
        retries left). Returns the ids of the workers marked LOST."""
        cutoff = self._clock.now() - self._lease
        lost: list[str] = []
        for worker in self._store.list_workers(statuses=CONNECTED):
            if worker.replica_id == self._replica_id or worker.last_heartbeat_at >= cutoff:
                continue
            if self._store.set_worker_status(worker.id, WorkerStatus.LOST, from_statuses=CONNECTED):
                lost.append(worker.id)
        for step in self._store.list_silent_holds(cutoff, self._replica_id):
            self._controller.worker_lost(Assignment.of(step))
        return lost


def _pool_worker(worker: Worker) -> PoolWorker:
    return PoolWorker(
        id=worker.id,
        actions=frozenset(worker.actions),
        slots=worker.slots,
        last_heard=worker.last_heartbeat_at,
    )
