"""What the engine's parts share: built once by `Engine`, handed to each part."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the parts import this module; their types are only annotations here
    from hatchetd.engine.clock import Clock
    from hatchetd.engine.effects import Outbox
    from hatchetd.engine.pool import WorkerPool
    from hatchetd.engine.ready_queue import ReadyQueue
    from hatchetd.engine.run_state import RunStates
    from hatchetd.store import Store


@dataclass(frozen=True)
class Shared:
    """The store, the clock and the in-memory state every part of the engine works on."""

    store: Store
    clock: Clock
    runs: RunStates
    pool: WorkerPool
    ready: ReadyQueue
    outbox: Outbox


class EnginePart:
    """A part of the engine: unpacks `Shared` once so the parts' code reads `self._store`."""

    def __init__(self, shared: Shared) -> None:
        self._store = shared.store
        self._clock = shared.clock
        self._runs = shared.runs
        self._pool = shared.pool
        self._ready = shared.ready
        self._outbox = shared.outbox
