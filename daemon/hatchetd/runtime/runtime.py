"""The engine's home in the daemon: one thread, batched commits, effects after the commit.

The engine is pure and single-threaded. Requests from the HTTP API and the worker sockets arrive
on the asyncio loop; each becomes a command queued to the engine thread. The thread takes every
command waiting (up to `max_batch`), runs them inside one `store.batch()` and commits once, so a
burst of pushes and results costs one fsync (design §11). Only after that commit are callers
answered and assignments sent to workers: an acknowledged push or result is durable, and a worker
never runs a step the store does not know it was given.

The thread never dies of a failed batch. When the database is in trouble (unreachable, locked,
full) the batch's callers are told so (`StoreTrouble`: 503/507 with `Retry-After`), commands that
arrive meanwhile are refused at once, and the thread probes the database with backoff until a
write succeeds; then it re-bases the deadlines the outage would have eaten, rebuilds the engine's
memory from the store and carries on (`outage.py`). Any other failure is a bug in one command:
the batch is rolled back and its commands are run again one by one, so that one fails alone.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
import time
from collections.abc import Callable
from typing import TypeVar

from hatchetd.contracts.enums import StepRunStatus
from hatchetd.contracts.events import Event
from hatchetd.contracts.runs import StepRun
from hatchetd.engine import Clock, Engine, SendAssign
from hatchetd.engine.errors import EngineError
from hatchetd.runtime import signals
from hatchetd.runtime.delivery import ChangeSink, Command, Delivery, EffectSink
from hatchetd.runtime.faults import Faults
from hatchetd.runtime.lease import Lease
from hatchetd.runtime.outage import Outage
from hatchetd.store import Store
from hatchetd.store.errors import StoreConflict, StoreTrouble
from hatchetd.store.protocol import Written

T = TypeVar("T")
log = logging.getLogger("hatchetd.runtime")

_RESULTS = frozenset({StepRunStatus.SUCCEEDED, StepRunStatus.FAILED})


_STOP = object()
CONFLICT_TRIES = 3
"""Times a batch is run when it keeps losing deadlocks to other daemons."""


class Runtime:
    """Runs one `Engine` on a dedicated thread and groups its work into batched commits."""

    def __init__(
        self,
        engine: Engine,
        store: Store,
        clock: Clock,
        *,
        max_batch: int = 256,
        tick_interval: float = 0.25,
        faults: Faults | None = None,
    ) -> None:
        self._engine = engine
        self._store = store
        self._clock = clock
        self._max_batch = max_batch
        self._tick_interval = tick_interval
        self._faults = faults or Faults()
        self._queue: queue.SimpleQueue[Command | object] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._delivery = Delivery()
        self._written: list[Written] = []
        self._lease = Lease(store, clock.now(), engine.replica_id)
        self._leadership = store.leadership()
        self.leading = not store.shared
        """Whether this daemon ran the store-wide chores at its last tick (`sql_leader.py`)."""
        self._stop_listening: Callable[[], None] = lambda: None
        self.outage = Outage(clock)
        """Whether the database is in trouble now, since when, and what to tell callers."""
        self.held = 0
        """Step runs held by connected workers after the last batch (results still to come)."""
        store.observe(self._note_written)
        self.commits = 0
        """Batches committed so far (the benchmark reports commits per run)."""
        self._registered = False
        self.opened = threading.Event()
        """Set once the store has been opened for this process (or found in trouble)."""

    @property
    def replica_id(self) -> str:
        """This process's replica id in the store."""
        return self._lease.id

    def alone(self) -> bool:
        """Whether no other daemon serves the store now (read at most once a second; on the
        engine thread, as the registry's reload is)."""
        return not self._lease.others_alive(self._clock.now())

    def start(self, sink: EffectSink, changes: ChangeSink | None = None) -> None:
        """Start the engine thread; `sink` gets each batch's effects on the running loop and
        `changes` the records it wrote, both only once the batch is committed.

        The thread first registers this process in the store and rebuilds the engine's memory
        from it (re-basing deadlines after downtime); commands queued meanwhile wait for that.
        """
        self._delivery.attach(asyncio.get_running_loop(), sink, changes)
        self._thread = threading.Thread(target=self._run, name="hatchetd-engine", daemon=True)
        self._thread.start()
        self._stop_listening = self._store.listen(self._heard)

    async def stop(self, timeout: float | None = None) -> bool:
        """Finish the commands already queued, mark this replica stopped and end the thread;
        False if it did not end within `timeout` (stuck on a database that never answers —
        it is a daemon thread, so the process can still exit)."""
        thread = self._thread
        if thread is None:
            return True
        self._queue.put(_STOP)
        try:
            await asyncio.wait_for(asyncio.to_thread(thread.join), timeout)
        except TimeoutError:
            log.error("the engine thread did not stop within %.1f s", timeout or 0)
            return False
        self._thread = None
        return True

    async def call(self, fn: Callable[[Engine], T], *, defer: bool = False) -> T:
        """Run `fn(engine)` on the engine thread; return once its batch is committed.

        Engine errors (bad input the engine refused before writing anything) are raised here,
        and `StoreTrouble` while the database cannot take the work (`defer=True` waits for it
        to come back instead).
        """
        return await self.submit(fn, defer=defer)

    @property
    def waiting(self) -> int:
        """Commands queued for the engine thread and not yet taken (approximate)."""
        return self._queue.qsize()

    def submit(self, fn: Callable[[Engine], T], *, defer: bool = False) -> asyncio.Future[T]:
        """Queue `fn(engine)`; the returned future resolves once its batch is committed.

        For callers that must not wait in line (a worker socket keeps reading while its
        results commit), so that many results share one commit. While the database is in
        trouble the future fails at once, unless `defer`.
        """
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        trouble = self.outage.trouble
        if trouble is not None and not defer:
            future.set_exception(trouble)
            return future
        self._queue.put(Command(fn, future, defer))
        return future

    def post(self, fn: Callable[[Engine], object], *, defer: bool = False) -> None:
        """Queue `fn(engine)` without waiting for it (starts, logs); dropped while the database
        is in trouble, unless `defer`."""
        if defer or self.outage.trouble is None:
            self._queue.put(Command(fn, None, defer))

    # -- the engine thread ---------------------------------------------------------------------

    def _run(self) -> None:
        self._open()
        next_tick = time.monotonic()
        stopping = False
        while not stopping:
            if self.outage.trouble is not None:
                stopping = self._ride_out()
                next_tick = time.monotonic()
                continue
            timeout = max(0.0, next_tick - time.monotonic())
            commands: list[Command] = []
            try:
                first = self._queue.get(timeout=timeout)
            except queue.Empty:
                first = None
            stopping = first is _STOP
            if isinstance(first, Command):
                commands.append(first)
            # Everything that arrived meanwhile rides in the same commit.
            while len(commands) < self._max_batch and not stopping:
                try:
                    more = self._queue.get_nowait()
                except queue.Empty:
                    break
                if more is _STOP:
                    stopping = True
                elif isinstance(more, Command):
                    commands.append(more)
            tick = time.monotonic() >= next_tick
            if tick:
                next_tick = time.monotonic() + self._tick_interval
            if commands or tick:
                self._execute(commands, tick=tick)
        self._close()

    def _open(self) -> None:
        """Register this replica and rebuild the engine's memory, re-basing the deadlines of the
        work left by the daemon before this one (it was down, not the work)."""
        try:
            with self._store.batch():
                self._register()
            self._registered = True
        except StoreTrouble as exc:
            self.outage.begin(exc, down_at=None)
        self._engine.drain_effects()  # nothing was sent before this process: nothing to send
        self.held = self._engine.held
        self.opened.set()

    def _register(self) -> None:
        """Inside a batch: this replica's row, and the engine rebuilt from the store."""
        last_heard = self._lease.register()
        if last_heard is None:
            self._engine.resync()
        else:
            self._engine.recover(last_heard, self._clock.now())

    def _close(self) -> None:
        self._stop_listening()
        self._leadership.close()
        self.outage.fail_deferred(self._delivery.fail)
        if self.outage.trouble is None:
            try:
                with self._store.batch():
                    self._lease.stop(self._clock.now())
            except StoreTrouble as exc:
                log.warning("could not mark this replica stopped: %s", exc)

    def _heard(self, payload: str | None) -> None:
        """On the listener's thread: another daemon committed (`signals.py`), or something may
        have been missed (None)."""
        if payload is None:
            self.post(lambda engine: engine.poll_store())
            return
        records = signals.decode(payload, self.replica_id, self._store)
        if records:
            self._delivery.send([], [], records)
            self.post(lambda engine: engine.heard_from_others(records))

    def _note_written(self, record: Written) -> None:
        if threading.current_thread() is not self._thread:
            return
        if self._delivery.changes is not None or self._store.shared:
            self._written.append(record)
        if isinstance(record, Event):
            self._faults.reached("after_event_insert")

    def _execute(self, commands: list[Command], *, tick: bool) -> None:
        committed: list[Written] = []
        try:
            self._batch_again_on_conflict(commands, tick=tick, written=committed)
        except StoreTrouble as exc:
            self._troubled(commands, exc)
            return
        except Exception:
            # A bug, not the database: the batch rolled back. Rebuild the engine's memory and
            # run each command alone, so that one bad command fails alone.
            log.exception("a batch of %d commands failed; retrying them one by one", len(commands))
            if not self._resync():
                self._troubled(commands, self.outage.trouble)
                return
            for command in commands:
                try:
                    self._batch_again_on_conflict([command], tick=False, written=committed)
                except StoreTrouble as exc:
                    self._troubled([command], exc)
                    return
                except Exception as exc:
                    command.outcome = (False, exc)
                    if not self._resync():
                        return
        self._committed(commands, committed)

    def _batch_again_on_conflict(
        self, commands: list[Command], *, tick: bool, written: list[Written]
    ) -> None:
        """`_batch`, run again (after a resync) when it lost a deadlock to another daemon on
        the same database: that is nobody's bug, and the second try usually passes."""
        for attempt in range(1, CONFLICT_TRIES + 1):
            try:
                self._batch(commands, tick=tick, written=written)
                return
            except StoreConflict as exc:
                if attempt == CONFLICT_TRIES:
                    raise
                log.info("a batch collided with another daemon's (%s); running it again", exc)
                self._engine.resync()

    def _batch(self, commands: list[Command], *, tick: bool, written: list[Written]) -> None:
        # What a rolled-back batch wrote never happened: only a commit hands records on.
        self._written = []
        with self._store.batch():
            for command in commands:
                try:
                    command.outcome = (True, command.fn(self._engine))
                except EngineError as exc:
                    # Refused before writing anything (the engine validates first): the rest
                    # of the batch stands.
                    command.outcome = (False, exc)
            if tick:
                self.leading = self._leadership.try_lead()
                self._engine.tick(leader=self.leading)
            else:
                self._engine.dispatch()
            open_work = self._engine.open_work
            self._lease.renew(self._clock.now(), commands=bool(commands), open_work=open_work)
            self.outage.committing(self._lease.seq if commands else None)
            if self._store.shared and self._written and self._lease.others_alive(self._clock.now()):
                # Heard by the other daemons when (and only if) this batch commits.
                self._store.notify(signals.encode(self.replica_id, self._written))
        self.outage.committed()
        self.commits += 1
        written.extend(self._written)
        self._written = []

    def _committed(self, commands: list[Command], written: list[Written]) -> None:
        effects = self._engine.drain_effects()
        self.held = self._engine.held
        if commands:
            self._faults.reached("after_commit_before_ack")
        if any(isinstance(e, SendAssign) for e in effects):
            self._faults.reached("after_assign_commit")
        if any(isinstance(r, StepRun) and r.status in _RESULTS for r in written):
            self._faults.reached("after_result_commit")
        self._delivery.send(commands, effects, written)

    def _resync(self) -> bool:
        """Rebuild the engine's memory after a rollback; False (and in trouble) if the store
        cannot be read."""
        try:
            self._engine.resync()
        except StoreTrouble as exc:
            self.outage.begin(exc, down_at=self._clock.now())
            return False
        return True

    def _troubled(self, commands: list[Command], exc: StoreTrouble | None) -> None:
        """The database could not take a batch: tell its callers, unless the commit may have
        happened (then they wait for the answer until the database is back)."""
        assert exc is not None
        log.warning("the database is in trouble: %s", exc)
        self._engine.drain_effects()  # the batch rolled back; its effects never happened
        self._written = []
        in_doubt = self.outage.begin(exc, down_at=self._clock.now())
        if in_doubt is not None:
            self.outage.hold(in_doubt, commands)
            return
        self._refuse(commands, exc)

    def _refuse(self, commands: list[Command], exc: StoreTrouble) -> None:
        self.outage.keep([c for c in commands if c.defer])
        self._delivery.fail([c for c in commands if not c.defer], exc)

    def _ride_out(self) -> bool:
        """Wait for the database to take writes again, refusing commands meanwhile; True if
        told to stop."""
        delay = self.outage.next_delay()
        wait_until = time.monotonic() + delay
        while (left := wait_until - time.monotonic()) > 0:
            try:
                item = self._queue.get(timeout=left)
            except queue.Empty:
                break
            if item is _STOP:
                return True
            if isinstance(item, Command):
                trouble = self.outage.trouble
                assert trouble is not None
                self._refuse([item], trouble)
        self._try_recovering()
        return False

    def _try_recovering(self) -> None:
        try:
            self.outage.check_headroom(self._store)
            with self._store.batch():
                settled = self.outage.settle(self._lease.committed)
                if not self._registered:  # the store could not be opened at start
                    self._register()
                else:
                    up_at = self._clock.now()
                    down_at = self.outage.down_at or up_at
                    # Time another daemon served the store meanwhile was not an outage.
                    down_at = self._lease.others_heard_after(down_at) or down_at
                    self._lease.renew(up_at, commands=False, open_work=True)
                    self._engine.recover(down_at, up_at)
        except StoreTrouble as exc:
            self.outage.still(exc)
            self._engine.drain_effects()
            return
        except Exception:
            log.exception("recovering from the outage failed; trying again")
            self._engine.drain_effects()
            return
        self._registered = True
        self._engine.drain_effects()
        self.held = self._engine.held
        log.info("the database is back after %.1f s", self.outage.duration())
        self.outage.end()
        done, undone, trouble = settled
        if done:
            # Its commit happened after all: answer as if it had been acknowledged at once
            # (its assignments are lost with the rebuilt memory; their lease covers them).
            self.commits += 1
            self._delivery.send(done, [], [])
        if undone and trouble is not None:
            self._refuse(undone, trouble)
        deferred = self.outage.take_deferred()
        if deferred:
            self._execute(deferred, tick=False)
