"""Events in: store them, match them against the active workflows, start the runs (design §6).

Everything a push could be refused for is checked before anything is written, so a refused
command leaves no trace and the rest of its batch can still commit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from hatchetd.contracts.enums import StepRunStatus
from hatchetd.contracts.events import Event, NewEvent
from hatchetd.contracts.ids import new_id
from hatchetd.contracts.runs import NewRun
from hatchetd.engine.catalog import Catalog, CatalogEntry
from hatchetd.engine.clock import Clock
from hatchetd.engine.errors import EventNotFound, IdempotencyConflict
from hatchetd.engine.planner import plan_run
from hatchetd.engine.ready_queue import ReadyQueue, ReadyStep
from hatchetd.engine.run_state import EventInfo, RunStates
from hatchetd.store import Store


@dataclass(frozen=True)
class Push:
    """One event to store, as an application pushed it."""

    key: str
    """What happened, e.g. `user:create`."""
    data: dict[str, Any] = field(default_factory=dict)
    """The payload: a JSON object."""
    idempotency_key: str | None = None
    """Pushing the same key with the same key and data again returns the first event."""
    replayed_from_id: str | None = None
    """The event this one replays, if any."""


@dataclass(frozen=True)
class PushOutcome:
    """A pushed event, and whether this push created it (False: its idempotency key had been
    used before with the same data, and this is that first event)."""

    event: Event
    created: bool


class Ingest:
    """Creates events and the runs they trigger."""

    def __init__(
        self, store: Store, clock: Clock, catalog: Catalog, runs: RunStates, ready: ReadyQueue
    ) -> None:
        self._store = store
        self._clock = clock
        self._catalog = catalog
        self._runs = runs
        self._ready = ready

    def push_events(self, pushes: Sequence[Push]) -> list[PushOutcome]:
        """Store the events, all or none, and start the runs they trigger; return them in order.

        Raises `IdempotencyConflict` if a push reuses an idempotency key with other data, and
        `EventNotFound` if it replays an event that does not exist; nothing is written then.
        """
        earlier: dict[str, Event] = {}  # idempotency key → the event it already names
        in_this_call: dict[str, Push] = {}
        replayed: set[str] = set()
        for push in pushes:
            key = push.idempotency_key
            if key is not None:
                if key in in_this_call:
                    _check_same(key, in_this_call[key], None, push)
                else:
                    in_this_call[key] = push
                    existing = self._store.get_event_by_idempotency_key(key)
                    if existing is not None:
                        _check_same(key, existing, existing.id, push)
                        earlier[key] = existing
            if push.replayed_from_id is not None and push.replayed_from_id not in replayed:
                if self._store.get_event(push.replayed_from_id) is None:
                    raise EventNotFound([push.replayed_from_id])
                replayed.add(push.replayed_from_id)

        now = self._clock.now()
        fresh: list[NewEvent] = []
        answers: list[NewEvent] = []  # what each push gets: a stored `Event` or a new one
        new_by_key: dict[str, NewEvent] = {}
        for push in pushes:
            key = push.idempotency_key
            if key is not None and (key in earlier or key in new_by_key):
                answers.append(earlier.get(key) or new_by_key[key])
                continue
            event = NewEvent(
                id=new_id(),
                key=push.key,
                data=push.data,
                created_at=now,
                replayed_from_id=push.replayed_from_id,
                idempotency_key=key,
            )
            fresh.append(event)
            answers.append(event)
            if key is not None:
                new_by_key[key] = event
        stored = {event.id: event for event in self.create(fresh, now)}
        outcomes: list[PushOutcome] = []
        answered: set[str] = set()
        for answer in answers:
            if isinstance(answer, Event):
                outcomes.append(PushOutcome(answer, created=False))
            else:
                # A key repeated within the push: only its first use created the event.
                outcomes.append(PushOutcome(stored[answer.id], answer.id not in answered))
                answered.add(answer.id)
        return outcomes

    def create(self, events: Sequence[NewEvent], now: datetime) -> list[Event]:
        """Store events that have been checked, plan a run for every active workflow each one
        triggers, store the runs, and queue their first steps. Events come back with their
        `run_ids`."""
        if not events:
            return []
        stored = self._store.create_events(events)
        planned: list[tuple[NewRun, CatalogEntry, EventInfo]] = []
        result: list[Event] = []
        for event in stored:
            info = EventInfo.of(event)
            run_ids = []
            for workflow in self._catalog.matching(event.key):
                new = plan_run(
                    version_id=workflow.id, spec=workflow.spec, event_id=event.id, now=now
                )
                planned.append((new, workflow, info))
                run_ids.append(new.run.id)
            result.append(event.model_copy(update={"run_ids": run_ids}) if run_ids else event)
        if planned:
            self._store.create_runs([new for new, _, _ in planned])
        for new, workflow, info in planned:
            self._runs.add_planned(new, workflow, info)
            for step in new.step_runs:
                if step.status is StepRunStatus.PENDING_ASSIGNMENT:
                    self._ready.push(ReadyStep.of(step))
        return result


def _check_same(key: str, first: NewEvent | Push, first_id: str | None, push: Push) -> None:
    if first.key != push.key:
        raise IdempotencyConflict(key, first_id, what=f"key ({first.key!r})")
    if first.data != push.data:
        raise IdempotencyConflict(key, first_id)
