"""The assignment rule (design §8): which waiting step run goes to which worker, and when.

The oldest waiting step run that some connected worker can take goes first; it goes to the
worker with the most free slots, the one that registered first on a tie. A worker can take a
step run when it has the action, a free slot, and is not draining. A step run whose action no
worker has (or whose workers are all full) waits, and does not hold up those behind it.
"""

from __future__ import annotations

from collections.abc import Iterable

from hatchetd.engine.pool import PoolWorker, WorkerPool
from hatchetd.engine.ready_queue import ReadyQueue, ReadyStep


def most_free_slots(workers: Iterable[PoolWorker]) -> PoolWorker | None:
    """The worker with the most free slots that is not draining, the earliest in `workers` on
    a tie (they come in registration order); None when every one is full or draining."""
    best: PoolWorker | None = None
    for worker in workers:
        if worker.draining:
            continue
        if worker.free_slots > (best.free_slots if best is not None else 0):
            best = worker
    return best


def next_match(ready: ReadyQueue, pool: WorkerPool) -> tuple[ReadyStep, PoolWorker] | None:
    """The next assignment to make: the oldest waiting step run some worker can take, and the
    worker to give it to; None when nothing can be assigned now."""
    best: tuple[int, ReadyStep, PoolWorker] | None = None
    for action in ready.actions():
        head = ready.head(action)
        if head is None or (best is not None and head[0] > best[0]):
            continue
        worker = most_free_slots(pool.holders_of(action))
        if worker is not None:
            best = (head[0], head[1], worker)
    return None if best is None else (best[1], best[2])
