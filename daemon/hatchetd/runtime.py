"""The engine's home in the daemon: one thread, batched commits, effects after the commit.

The engine is pure and single-threaded. Requests from the HTTP API and the worker sockets arrive
on the asyncio loop; each becomes a command queued to the engine thread. The thread takes every
command waiting (up to `max_batch`), runs them inside one `store.batch()` and commits once, so a
burst of pushes and results costs one fsync (design §11). Only after that commit are callers
answered and assignments sent to workers: an acknowledged push or result is durable, and a worker
never runs a step the store does not know it was given.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from hatchetd.engine import Effect, Engine
from hatchetd.engine.errors import EngineError
from hatchetd.store import Store
from hatchetd.store.protocol import Written

T = TypeVar("T")
log = logging.getLogger("hatchetd.runtime")

EffectSink = Callable[[list[Effect]], None]
"""Receives the effects of each committed batch, on the event loop."""
ChangeSink = Callable[[list[Written]], None]
"""Receives the records each committed batch wrote, on the event loop (the change stream)."""


@dataclass
class _Command:
    fn: Callable[[Engine], Any]
    future: asyncio.Future[Any] | None
    outcome: tuple[bool, Any] = field(default=(False, None))


_STOP = object()


class Runtime:
    """Runs one `Engine` on a dedicated thread and groups its work into batched commits."""

    def __init__(
        self,
        engine: Engine,
        store: Store,
        *,
        max_batch: int = 256,
        tick_interval: float = 0.25,
    ) -> None:
        self._engine = engine
        self._store = store
        self._max_batch = max_batch
        self._tick_interval = tick_interval
        self._queue: queue.SimpleQueue[_Command | object] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._sink: EffectSink = lambda effects: None
        self._changes: ChangeSink | None = None
        self._written: list[Written] = []
        store.observe(self._note_written)
        self.commits = 0
        """Batches committed so far (the benchmark reports commits per run)."""

    def start(self, sink: EffectSink, changes: ChangeSink | None = None) -> None:
        """Start the engine thread; `sink` gets each batch's effects on the running loop and
        `changes` the records it wrote, both only once the batch is committed."""
        self._loop = asyncio.get_running_loop()
        self._sink = sink
        self._changes = changes
        self._thread = threading.Thread(target=self._run, name="hatchetd-engine", daemon=True)
        self._thread.start()

    async def stop(self) -> None:
        """Finish the commands already queued, then stop the thread."""
        if self._thread is None:
            return
        self._queue.put(_STOP)
        await asyncio.to_thread(self._thread.join)
        self._thread = None

    async def call(self, fn: Callable[[Engine], T]) -> T:
        """Run `fn(engine)` on the engine thread; return once its batch is committed.

        Engine errors (bad input the engine refused before writing anything) are raised here.
        """
        return await self.submit(fn)

    @property
    def waiting(self) -> int:
        """Commands queued for the engine thread and not yet taken (approximate)."""
        return self._queue.qsize()

    def submit(self, fn: Callable[[Engine], T]) -> asyncio.Future[T]:
        """Queue `fn(engine)`; the returned future resolves once its batch is committed.

        For callers that must not wait in line (a worker socket keeps reading while its
        results commit), so that many results share one commit.
        """
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._queue.put(_Command(fn, future))
        return future

    def post(self, fn: Callable[[Engine], object]) -> None:
        """Queue `fn(engine)` without waiting for it (heartbeats, logs)."""
        self._queue.put(_Command(fn, None))

    # -- the engine thread ---------------------------------------------------------------------

    def _run(self) -> None:
        next_tick = time.monotonic()
        stopping = False
        while not stopping:
            timeout = max(0.0, next_tick - time.monotonic())
            commands: list[_Command] = []
            try:
                first = self._queue.get(timeout=timeout)
            except queue.Empty:
                first = None
            stopping = first is _STOP
            if isinstance(first, _Command):
                commands.append(first)
            # Everything that arrived meanwhile rides in the same commit.
            while len(commands) < self._max_batch and not stopping:
                try:
                    more = self._queue.get_nowait()
                except queue.Empty:
                    break
                if more is _STOP:
                    stopping = True
                elif isinstance(more, _Command):
                    commands.append(more)
            tick = time.monotonic() >= next_tick
            if tick:
                next_tick = time.monotonic() + self._tick_interval
            if commands or tick:
                self._execute(commands, tick=tick)

    def _note_written(self, record: Written) -> None:
        if self._changes is not None and threading.current_thread() is self._thread:
            self._written.append(record)

    def _execute(self, commands: list[_Command], *, tick: bool) -> None:
        committed: list[Written] = []
        try:
            self._batch(commands, tick=tick, written=committed)
        except Exception:
            # Something unexpected broke the batch and rolled it back: rebuild the engine's
            # memory from the store and run each command alone, so one bad command fails alone.
            log.exception("a batch of %d commands failed; retrying them one by one", len(commands))
            self._engine.resync()
            for command in commands:
                try:
                    self._batch([command], tick=False, written=committed)
                except Exception as exc:
                    self._engine.resync()
                    command.outcome = (False, exc)
        effects = self._engine.drain_effects()
        if self._loop is not None and (commands or effects or committed):
            self._loop.call_soon_threadsafe(self._deliver, commands, effects, committed)

    def _batch(self, commands: list[_Command], *, tick: bool, written: list[Written]) -> None:
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
                self._engine.tick()
            else:
                self._engine.dispatch()
        self.commits += 1
        written.extend(self._written)
        self._written = []

    def _deliver(
        self, commands: list[_Command], effects: list[Effect], written: list[Written]
    ) -> None:
        if written and self._changes is not None:
            self._changes(written)
        for command in commands:
            future = command.future
            if future is None or future.done():
                if future is None and not command.outcome[0] and command.outcome[1] is not None:
                    log.warning("background command failed: %s", command.outcome[1])
                continue
            ok, value = command.outcome
            if ok:
                future.set_result(value)
            else:
                future.set_exception(value)
        if effects and self._loop is not None:
            # A turn later, so callers woken above act first: a worker's socket registers its
            # session (and sends `registered`) before the assignments its arrival made possible.
            self._loop.call_soon(self._sink, effects)
