"""`Engine`: the one object the daemon's runtime talks to.

Pure logic over a `Store` and a `Clock`: no sockets, threads or sleeps. The runtime calls the
command methods on one thread, many of them inside one `store.batch()`, commits once, and only
then sends what `drain_effects()` returns. If a batch fails, it calls `resync()`, which rebuilds
the engine's memory from the store, and retries the commands one by one.

What the engine keeps in memory is only what makes the hot path cheap and can be rebuilt from
the store at any commit: the active workflows, the runs in flight, the connected workers with
the step runs they hold, and the step runs waiting for a worker.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from hatchetd.contracts.enums import StepRunStatus, WorkerStatus
from hatchetd.contracts.events import Event
from hatchetd.contracts.ids import new_id
from hatchetd.contracts.payload_paths import PathValue
from hatchetd.contracts.runs import WorkflowRun
from hatchetd.contracts.workers import CONNECTED, Worker
from hatchetd.contracts.workflows import WorkflowVersion
from hatchetd.engine.catalog import Catalog
from hatchetd.engine.clock import Clock
from hatchetd.engine.controller import Controller, ResultOutcome
from hatchetd.engine.cron import CronTicker
from hatchetd.engine.dispatcher import Dispatcher
from hatchetd.engine.effects import Effect, Outbox
from hatchetd.engine.ingest import Ingest, Push, PushOutcome
from hatchetd.engine.manual import ManualRuns, StartOutcome
from hatchetd.engine.parts import Shared
from hatchetd.engine.peers import POLL_LIMIT, Peers
from hatchetd.engine.pool import WorkerPool
from hatchetd.engine.ready_queue import ReadyQueue
from hatchetd.engine.rebase import rebase_deadlines
from hatchetd.engine.replay import replay_events
from hatchetd.engine.rerun import Reruns
from hatchetd.engine.retries import Retries
from hatchetd.engine.run_state import DEFAULT_CAPACITY, RunStates
from hatchetd.engine.timeouts import Timeouts
from hatchetd.engine.workers import DEFAULT_HEARTBEAT_INTERVAL, LEASE_HEARTBEATS, Workers
from hatchetd.store import Store
from hatchetd.store.protocol import Written

log = logging.getLogger("hatchetd.engine")

SWEEP_INTERVAL = timedelta(seconds=1)
"""How often the leader sweeps the store for lost workers, and a daemon on a shared store looks
for work other daemons made ready."""


class Engine:
    """The event store's and workflow engine's logic, driven by the runtime (design §5, §6, §8).

    Call `resync()` once before the first command when the store may hold earlier work (the
    runtime does at start-up); a new engine otherwise starts with empty books.
    """

    def __init__(
        self,
        store: Store,
        clock: Clock,
        *,
        environ: Mapping[str, str] | None = None,
        heartbeat_interval: float = DEFAULT_HEARTBEAT_INTERVAL,
        lease: float | None = None,
        cached_runs: int = DEFAULT_CAPACITY,
        replica_id: str | None = None,
    ) -> None:
        """`environ` is what `$NAME` in workflow files reads (default: `os.environ`).
        `lease` (default three heartbeat intervals) is how long a worker may be silent before
        it is lost. `cached_runs` bounds how many runs in flight are kept in memory.
        `replica_id` is this daemon's identity in the store (new by default): the workers it
        registers are recorded as connected to it."""
        if heartbeat_interval <= 0:
            raise ValueError(f"heartbeat_interval must be more than zero, not {heartbeat_interval}")
        self._store = store
        self._clock = clock
        self.replica_id = replica_id or new_id()
        """This daemon's identity in the store."""
        self._heartbeat_interval = heartbeat_interval
        self._outbox = Outbox()
        self._catalog = Catalog(store)
        self._runs = RunStates(store, self._catalog, cached_runs)
        self._pool = WorkerPool()
        self._ready = ReadyQueue()
        retries = Retries(store, clock, self._ready)
        shared = Shared(store, clock, self._runs, self._pool, self._ready, self._outbox)
        self._controller = Controller(shared, retries=retries)
        self._timeouts = Timeouts(shared, controller=self._controller, retries=retries)
        self._dispatcher = Dispatcher(
            shared, on_render_failed=self._controller.render_failed, environ=environ
        )
        self._peers = Peers(shared)
        self._ingest = Ingest(store, clock, self._catalog, self._runs, self._ready)
        self._manual = ManualRuns(store, clock, self._catalog, self._runs, self._ready)
        self._reruns = Reruns(store, clock, self._catalog, self._runs, self._ready)
        self._crons = CronTicker(store, clock, self._runs, self._ready)
        self._workers = Workers(
            store,
            clock,
            self._pool,
            self._controller,
            lease=LEASE_HEARTBEATS * heartbeat_interval if lease is None else lease,
            replica_id=self.replica_id,
        )
        self._assigning = True
        self._next_sweep = clock.now()
        self._next_poll = clock.now()

    # -- the runtime's side ---------------------------------------------------------------------

    @property
    def heartbeat_interval(self) -> float:
        """Seconds between the heartbeats workers are asked for."""
        return self._heartbeat_interval

    @property
    def lease(self) -> float:
        """Seconds a worker may be silent before it is lost."""
        return self._workers.lease.total_seconds()

    def resync(self) -> None:
        """Rebuild the engine's memory from the store and drop the effects not yet drained
        (their batch was rolled back).

        This daemon's connected workers stay in the pool if the store still has them ACTIVE or
        DRAINING (and drain again if it has them DRAINING), with the step runs they hold.
        Workers of other daemons and of this daemon's earlier processes are left to the sweep
        (`Workers.sweep`): their step runs wait for their results until their heartbeats have
        been silent for a lease. Deadlines (timeouts, retry backoffs) need no rebuilding: they
        are in the store. Every PENDING_ASSIGNMENT step run is queued again, oldest first (on a
        shared store, those for the actions of this daemon's workers).
        """
        self._outbox.clear()
        self._catalog.reload_active()
        self._crons.resync(self._catalog.scheduled)
        self._runs.clear()
        mine = [
            w
            for w in self._store.list_workers(statuses=CONNECTED)
            if w.replica_id == self.replica_id
        ]
        held = [
            step
            for step in self._store.list_step_runs(
                statuses=(StepRunStatus.ASSIGNED, StepRunStatus.RUNNING)
            )
            if step.worker_id in self._pool.connected or step.worker_id in self._pool.absent
        ]
        self._pool.rebuild({w.id for w in mine}, held)
        for worker in mine:  # as the store has it: a rolled-back `draining` never was
            if (pooled := self._pool.connected.get(worker.id)) is not None:
                pooled.draining = worker.status is WorkerStatus.DRAINING
        self._ready.clear()
        self._peers.refill_ready(limit=None)
        log.info(
            "resynced: %d active workflows, %d step runs held by workers, %d waiting",
            len(self._catalog.active),
            len(held),
            len(self._ready),
        )

    def recover(self, down_at: datetime, up_at: datetime) -> int:
        """Come back from an outage that began at `down_at` (the daemon or its database was
        down) and ended at `up_at`: re-base every open deadline so the outage does not count
        against it (`rebase.py`), give every connected worker's last heartbeat the same
        extension (they could not be heard meanwhile), rebuild memory from the store, and count
        this daemon's connected workers as heard from now. Returns how many deadlines moved."""
        moved = rebase_deadlines(self._store, down_at, up_at)
        if up_at > down_at:
            for stored in self._store.list_workers(statuses=CONNECTED):
                self._store.record_heartbeat(
                    stored.id, stored.last_heartbeat_at + (up_at - down_at)
                )
        self.resync()
        for pooled in self._pool.connected.values():
            self._pool.heard(pooled.id, up_at)
            self._store.record_heartbeat(pooled.id, up_at)
        if moved:
            log.info("re-based %d deadlines after an outage of %s", moved, up_at - down_at)
        return moved

    @property
    def held(self) -> int:
        """Step runs held by connected workers: results that may still come in."""
        return self._pool.held_by_connected()

    @property
    def open_work(self) -> bool:
        """Whether anything is waiting for a worker or held by one (its deadlines count)."""
        return bool(len(self._ready) or self._pool.held_total())

    def stop_assigning(self) -> None:
        """Assign nothing more (the daemon is shutting down): waiting step runs stay waiting in
        the store for the next start; results of running ones are still taken."""
        self._assigning = False

    def drain_effects(self) -> list[Effect]:
        """The messages to send to workers since the last drain, in order; the outbox empties."""
        return self._outbox.drain()

    def dispatch(self) -> int:
        """Give waiting step runs to workers with the action and a free slot; return how many
        were assigned (each assignment is a `SendAssign` effect)."""
        if not self._assigning:
            return 0
        return self._dispatcher.dispatch()

    def tick(self, *, leader: bool = True) -> None:
        """The periodic work: the liveness check of this daemon's workers; if this daemon
        leads, the store-wide sweep (once a second), the deadlines passed and the cron
        schedules due; on a shared store, a look at the store for work other daemons made
        ready (once a second: the safety net for a missed notification); then a dispatch."""
        now = self._clock.now()
        self._workers.check()
        if leader:
            if now >= self._next_sweep:
                self._next_sweep = now + SWEEP_INTERVAL
                self._workers.sweep()
            self.check_timeouts()
            self.fire_due_crons()
        if self._store.shared and now >= self._next_poll:
            self._next_poll = now + SWEEP_INTERVAL
            self.poll_store()
        self.dispatch()

    def poll_store(self) -> None:
        """On a shared store: queue the step runs waiting for this daemon's workers' actions,
        and let go of the step runs its workers hold that another daemon ended (`peers.py`)."""
        self._peers.poll_store()

    def heard_from_others(self, records: Sequence[Written]) -> None:
        """What other daemons on a shared store committed (`Peers.heard`)."""
        if self._peers.heard(records):
            # Another daemon reloaded its folder: match events as the store says from now on.
            self._catalog.reload_active()
            self._crons.set_active(self._catalog.scheduled)

    def check_timeouts(self) -> int:
        """Act on the deadlines that have passed: step, schedule and job timeouts, and retries
        whose backoff is over; return how many step runs were due (one read when none is)."""
        return self._timeouts.check()

    def fire_due_crons(self) -> list[WorkflowRun]:
        """Start a run for every cron schedule whose tick has come and return them; a tick
        that already has a run (another daemon fired it) is skipped. Touches the store only
        when something is due."""
        return self._crons.fire_due()

    def set_active_workflows(self, versions: Sequence[WorkflowVersion]) -> None:
        """Match new events against these versions from now on (the registry calls this after
        each reload, having saved them to the store). A new or changed cron schedule counts
        from now; an unchanged one carries on; a removed one stops."""
        self._catalog.set_active(versions)
        self._crons.set_active(self._catalog.scheduled)

    # -- events ---------------------------------------------------------------------------------

    def push_events(self, pushes: Sequence[Push]) -> list[PushOutcome]:
        """Store events and start the runs they trigger (see `Ingest.push_events`)."""
        return self._ingest.push_events(pushes)

    def replay_events(
        self,
        event_ids: Sequence[str],
        data: dict[str, Any] | None = None,
        edits: Sequence[PathValue] = (),
    ) -> list[Event]:
        """Push events again as new events with `replayed_from_id`, the original data or
        `data`, then `edits` put into each payload, matched against the workflows active now.
        `EventNotFound` and `PayloadEditFailed` write nothing."""
        return replay_events(self._store, self._clock, self._ingest, event_ids, data, edits=edits)

    # -- workers --------------------------------------------------------------------------------

    def worker_connected(self, name: str, actions: Sequence[str], slots: int) -> Worker:
        """Register a worker connection (a new id each time) and give it waiting work."""
        worker = self._workers.connected(name, actions, slots)
        if self._store.shared:  # work other daemons queued for its actions
            self._peers.refill_ready(limit=POLL_LIMIT)
        self.dispatch()
        return worker

    def worker_disconnected(self, worker_id: str) -> None:
        """A worker's socket closed; the step runs it holds wait a lease for their results."""
        self._workers.disconnected(worker_id)

    def worker_draining(self, worker_id: str) -> list[str]:
        """A worker is shutting down (it sent `draining`): it is given nothing more, what it
        runs it finishes, and the step runs it was assigned but had not started go to other
        workers now (or wait for one, ahead of the queue). Returns their ids."""
        handed_back = self._workers.draining(worker_id)
        self.dispatch()
        return [step.id for step in handed_back]

    def heartbeat(self, worker_id: str) -> bool:
        """A worker is alive; False if the engine no longer counts it as connected."""
        return self._workers.heartbeat(worker_id)

    def check_liveness(self) -> list[str]:
        """Mark silent workers LOST and cancel the step runs silent workers hold — this
        daemon's (from memory) and, store-wide, every other's (`Workers.sweep`); return the ids
        of the workers marked LOST."""
        return self._workers.check() + self._workers.sweep()

    # -- step runs ------------------------------------------------------------------------------

    def step_started(self, worker_id: str, step_run_id: str, attempt: int) -> bool:
        """A worker began a step run (ASSIGNED → RUNNING); False if it was not expected."""
        return self._controller.step_started(worker_id, step_run_id, attempt)

    def step_completed(
        self, worker_id: str, step_run_id: str, attempt: int, output: Any
    ) -> ResultOutcome:
        """A step run's action returned `output`; fenced by attempt."""
        return self._controller.step_completed(worker_id, step_run_id, attempt, output)

    def step_failed(
        self,
        worker_id: str,
        step_run_id: str,
        attempt: int,
        error: str,
        traceback: str | None = None,
    ) -> ResultOutcome:
        """A step run's action raised; fenced by attempt."""
        return self._controller.step_failed(worker_id, step_run_id, attempt, error, traceback)

    def append_log(self, worker_id: str, step_run_id: str, attempt: int, line: str) -> bool:
        """Store a line a step run logged; False if there is no such step run."""
        return self._controller.append_log(worker_id, step_run_id, attempt, line)

    # -- runs -----------------------------------------------------------------------------------

    def start_run(
        self,
        workflow_name: str,
        input: dict[str, Any] | None = None,
        *,
        idempotency_key: str | None = None,
    ) -> StartOutcome:
        """Start a run of a workflow's active version by hand, with `input` (default `{}`),
        whatever its triggers (see `ManualRuns.start`)."""
        return self._manual.start(workflow_name, input or {}, idempotency_key)

    def rerun(
        self, run_id: str, *, from_failed: bool = False, idempotency_key: str | None = None
    ) -> StartOutcome:
        """Start a new run of an ended run's workflow version with its trigger and input,
        whole or from its failed steps (see `Reruns.rerun`)."""
        return self._reruns.rerun(run_id, from_failed=from_failed, idempotency_key=idempotency_key)

    def cancel_run(self, run_id: str) -> WorkflowRun:
        """Cancel a run and everything in it not yet final; `RunNotFound` if there is none."""
        return self._controller.cancel_run(run_id)
