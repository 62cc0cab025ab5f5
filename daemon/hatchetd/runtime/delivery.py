"""Commands, and the way their outcomes get back to the event loop.

The engine thread never touches a future or a socket: it hands each committed batch — the
commands with their outcomes, the effects, the records written — to `Delivery`, which resolves
the futures, feeds the change stream and sends the effects on the loop.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from hatchetd.engine import Effect, Engine
from hatchetd.store.protocol import Written

log = logging.getLogger("hatchetd.runtime")

EffectSink = Callable[[list[Effect]], None]
"""Receives the effects of each committed batch, on the event loop."""
ChangeSink = Callable[[list[Written]], None]
"""Receives the records each committed batch wrote, on the event loop (the change stream)."""


@dataclass
class Command:
    """`fn(engine)` queued for the engine thread, and what became of it."""

    fn: Callable[[Engine], Any]
    future: asyncio.Future[Any] | None
    defer: bool = False
    """Keep it through an outage and run it once the database is back, rather than fail it
    (bookkeeping that must not be lost, such as a worker's disconnection)."""
    outcome: tuple[bool, Any] = field(default=(False, None))


class Delivery:
    """Hands outcomes from the engine thread to the event loop. Thread-safe to call."""

    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._sink: EffectSink = lambda effects: None
        self.changes: ChangeSink | None = None
        """Where written records go; None when nobody streams changes."""

    def attach(
        self, loop: asyncio.AbstractEventLoop, sink: EffectSink, changes: ChangeSink | None
    ) -> None:
        """Deliver to `loop` from now on: effects to `sink`, records to `changes`."""
        self._loop, self._sink, self.changes = loop, sink, changes

    def send(self, commands: list[Command], effects: list[Effect], written: list[Written]) -> None:
        """A committed batch: answer its callers, then stream its records and send its
        effects."""
        if self._loop is not None and (commands or effects or written):
            self._loop.call_soon_threadsafe(self._deliver, commands, effects, written)

    def fail(self, commands: list[Command], exc: BaseException) -> None:
        """Tell the callers of `commands` that they failed with `exc`."""
        for command in commands:
            command.outcome = (False, exc)
        self.send(commands, [], [])

    def _deliver(
        self, commands: list[Command], effects: list[Effect], written: list[Written]
    ) -> None:
        if written and self.changes is not None:
            self.changes(written)
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
