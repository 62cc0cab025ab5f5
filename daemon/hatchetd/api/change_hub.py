"""Fan-out of committed writes to the change stream's subscribers.

The runtime hands over each batch's records after its commit; each subscriber has a bounded
queue. A subscriber that falls too far behind is cut off with a `lagged` mark rather than
holding the daemon's memory: it reads the current state again and resubscribes.
"""

from __future__ import annotations

import asyncio
from collections.abc import Collection
from datetime import datetime

from hatchetd.contracts.changes import Change, ChangeKind
from hatchetd.contracts.events import Event
from hatchetd.contracts.runs import JobRun, RunStepLog, StepRun, WorkflowRun
from hatchetd.contracts.workers import Worker
from hatchetd.store.protocol import Written

QUEUE_LIMIT = 10_000
"""Changes a subscriber may have unread before it is cut off (a burst of bulk pushes fits)."""


class Lagged:
    """Put in a subscriber's queue when it fell behind: the stream ends after it."""


class Ended:
    """Put in every queue when the daemon shuts down."""


Item = Change | Lagged | Ended


class Subscription:
    """One subscriber's queue and filter."""

    def __init__(self, kinds: Collection[ChangeKind], run_ids: Collection[str]) -> None:
        self.kinds = frozenset(kinds)
        self.run_ids = frozenset(run_ids)
        self.queue: asyncio.Queue[Item] = asyncio.Queue()
        self.open = True

    def wants(self, change: Change) -> bool:
        if self.kinds and change.kind not in self.kinds:
            return False
        return not self.run_ids or change.run_id in self.run_ids

    def offer(self, item: Item) -> None:
        if not self.open:
            return
        if isinstance(item, Change) and self.queue.qsize() >= QUEUE_LIMIT:
            item = Lagged()
        if not isinstance(item, Change):
            self.open = False
        self.queue.put_nowait(item)


class ChangeHub:
    """Numbers committed writes and passes them to every subscriber that wants them."""

    def __init__(self) -> None:
        self._seq = 0
        self._subscriptions: set[Subscription] = set()
        self.closed = False

    def subscribe(
        self, kinds: Collection[ChangeKind] = (), run_ids: Collection[str] = ()
    ) -> Subscription:
        """A new subscription to the changes committed from now on: of `kinds` (all if none),
        to the runs `run_ids` (any record if none)."""
        subscription = Subscription(kinds, run_ids)
        if self.closed:
            subscription.offer(Ended())
        else:
            self._subscriptions.add(subscription)
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        self._subscriptions.discard(subscription)

    def publish(self, records: list[Written], committed_at: datetime) -> None:
        """Hand one committed batch's records to the subscribers (on the event loop)."""
        if not self._subscriptions:  # the common case: nobody watching costs a counter
            self._seq += len(records)
            return
        for record in records:
            self._seq += 1
            change = to_change(self._seq, record, committed_at)
            for subscription in list(self._subscriptions):
                if subscription.wants(change):
                    subscription.offer(change)
                    if not subscription.open:
                        self._subscriptions.discard(subscription)

    def close(self) -> None:
        """End every stream (the daemon is shutting down) and take no new subscribers."""
        self.closed = True
        for subscription in self._subscriptions:
            subscription.offer(Ended())
        self._subscriptions.clear()


def to_change(seq: int, record: Written, committed_at: datetime) -> Change:
    """The change a written record makes."""
    kind, key, run_id, status = _describe(record)
    return Change(
        seq=seq,
        kind=kind,
        id=key,
        run_id=run_id,
        status=status,
        committed_at=committed_at,
        record=record.model_dump(mode="json"),
    )


def _describe(record: Written) -> tuple[ChangeKind, str, str | None, str | None]:
    if isinstance(record, Event):
        return ChangeKind.EVENT, record.id, None, None
    if isinstance(record, WorkflowRun):
        return ChangeKind.RUN, record.id, record.id, record.status
    if isinstance(record, JobRun):
        return ChangeKind.JOB_RUN, record.id, record.workflow_run_id, record.status
    if isinstance(record, StepRun):
        return ChangeKind.STEP_RUN, record.id, record.workflow_run_id, record.status
    if isinstance(record, Worker):
        return ChangeKind.WORKER, record.id, None, record.status
    if isinstance(record, RunStepLog):
        return ChangeKind.STEP_LOG, record.step_run_id, record.workflow_run_id, None
    return ChangeKind.WORKFLOW, record.name, None, "ACTIVE" if record.active else "INACTIVE"
