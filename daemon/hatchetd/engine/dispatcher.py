"""The worker pool, the ready queue, and the rule that matches one to the other (design §8).

Step runs waiting for a worker (PENDING_ASSIGNMENT) queue per action, oldest first. `dispatch`
repeatedly takes the oldest waiting step run that some connected worker can take (it has the
action and a free slot, and is not draining), gives it to the worker with the most free slots
(on a tie the one that registered first), renders its `with:` and sends it. A step run whose
action no worker has simply waits: it is assigned the moment such a worker connects.

A retry (attempt 2 and later) is not rendered again: it repeats the input its first attempt was
rendered to, which its step run carries from the moment it is created (`retries.py`).
"""

from __future__ import annotations

import itertools
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from hatchetd.contracts.enums import StepRunStatus
from hatchetd.contracts.runs import StepRun, StepRunChange
from hatchetd.contracts.worker_protocol import Assign
from hatchetd.engine.effects import SendAssign
from hatchetd.engine.parts import EnginePart, Shared
from hatchetd.templating import TemplateError, render_value


@dataclass(frozen=True)
class ReadyStep:
    """A step run in PENDING_ASSIGNMENT, as the queue keeps it."""

    step_run_id: str
    run_id: str
    job_run_id: str
    step_index: int
    attempt: int
    action: str
    input: Any = None
    """A retry's input: what its first attempt was rendered to (unused for attempt 1)."""
    handed_back_by: frozenset[str] = frozenset()
    """Draining workers this attempt was taken back from: they no longer hold it."""

    @classmethod
    def of(cls, step: StepRun) -> ReadyStep:
        """The queue entry for a stored step run."""
        return cls(
            step.id,
            step.workflow_run_id,
            step.job_run_id,
            step.step_index,
            step.attempt,
            step.action,
            step.input,
        )


@dataclass(frozen=True)
class Assignment:
    """A step run given to a worker and not yet finished (ASSIGNED or RUNNING)."""

    step_run_id: str
    run_id: str
    job_run_id: str
    step_index: int
    attempt: int
    worker_id: str
    timeout: float | None
    """Seconds it may run once started; None when the engine has yet to look it up."""
    job_deadline: datetime | None = None
    """The job's deadline, which caps the step's (`JobState.cap`); None without a job timeout
    or when the engine has yet to look it up (`timeout` is None then too)."""
    handed_back_by: frozenset[str] = frozenset()
    """Draining workers that held this attempt before and gave it back: a `started` or a result
    from one of them is refused (forgotten at a resync: the SDK never sends one anyway)."""


@dataclass
class PoolWorker:
    """A connected worker as the dispatcher sees it."""

    id: str
    actions: frozenset[str]
    slots: int
    last_heard: datetime
    running: set[str] = field(default_factory=set)
    """The step runs it holds (ASSIGNED or RUNNING)."""
    draining: bool = False
    """It is shutting down: it finishes what it runs and is given nothing new."""

    @property
    def free_slots(self) -> int:
        """How many more step runs it can take now."""
        return self.slots - len(self.running)


@dataclass
class AbsentWorker:
    """A worker that is not connected but still holds step runs on the books, or that the store
    still calls ACTIVE from before a restart. Its step runs wait for it (it may reconnect and
    re-send their results) until it has been silent for a lease."""

    id: str
    last_heard: datetime
    running: set[str] = field(default_factory=set)
    active_in_store: bool = False
    """True for a worker of an earlier daemon process: the lease check marks it LOST."""


class WorkerPool:
    """Connected workers in registration order, absent ones, and who holds which step run."""

    def __init__(self) -> None:
        self.connected: dict[str, PoolWorker] = {}
        self.absent: dict[str, AbsentWorker] = {}
        self._by_action: dict[str, list[PoolWorker]] = {}
        self._assignments: dict[str, Assignment] = {}

    def add(self, worker: PoolWorker) -> None:
        """A worker connected: it can take step runs from now on."""
        self.connected[worker.id] = worker
        for action in worker.actions:
            self._by_action.setdefault(action, []).append(worker)

    def leave(self, worker_id: str) -> PoolWorker | None:
        """Take a worker out of the pool; the step runs it holds stay on the books as absent."""
        worker = self.connected.pop(worker_id, None)
        if worker is None:
            return None
        for action in worker.actions:
            holders = self._by_action[action]
            holders.remove(worker)
            if not holders:
                del self._by_action[action]
        if worker.running:
            self.absent[worker.id] = AbsentWorker(worker.id, worker.last_heard, worker.running)
        return worker

    def heard(self, worker_id: str, at: datetime) -> bool:
        """Note that a connected worker said something; False if it is not connected."""
        worker = self.connected.get(worker_id)
        if worker is None:
            return False
        worker.last_heard = max(worker.last_heard, at)
        return True

    def drain(self, worker_id: str) -> PoolWorker | None:
        """A connected worker is shutting down: it is given nothing more. None if it is not
        connected."""
        worker = self.connected.get(worker_id)
        if worker is not None:
            worker.draining = True
        return worker

    def best_for(self, action: str) -> PoolWorker | None:
        """The worker with the action and the most free slots (the earliest registered on a
        tie) that is not draining, or None when every such worker is full or there is none."""
        best: PoolWorker | None = None
        for worker in self._by_action.get(action, ()):
            if worker.draining:
                continue
            if worker.free_slots > (best.free_slots if best is not None else 0):
                best = worker
        return best

    def assign(self, assignment: Assignment) -> None:
        """Record that a worker holds a step run."""
        self._assignments[assignment.step_run_id] = assignment
        self._holder_running(assignment.worker_id).add(assignment.step_run_id)

    def assignment(self, step_run_id: str) -> Assignment | None:
        """Who holds a step run, if anyone does."""
        return self._assignments.get(step_run_id)

    def release(self, step_run_id: str) -> Assignment | None:
        """The step run is over (or taken back): free its worker's slot."""
        assignment = self._assignments.pop(step_run_id, None)
        if assignment is not None:
            holder = self.connected.get(assignment.worker_id) or self.absent.get(
                assignment.worker_id
            )
            if holder is not None:
                holder.running.discard(step_run_id)
        return assignment

    def held_by_connected(self) -> int:
        """How many step runs connected workers hold."""
        return sum(len(w.running) for w in self.connected.values())

    def held_total(self) -> int:
        """How many step runs any worker, connected or not, holds."""
        return len(self._assignments)

    def assignments_of(self, worker_id: str) -> list[Assignment]:
        """The step runs an absent or connected worker holds."""
        holder = self.connected.get(worker_id) or self.absent.get(worker_id)
        running = holder.running if holder is not None else set()
        return [self._assignments[s] for s in sorted(running) if s in self._assignments]

    def rebuild(
        self,
        active_in_store: Mapping[str, datetime],
        held: Iterable[StepRun],
        now: datetime,
    ) -> None:
        """Make the books match the store: `active_in_store` maps the ACTIVE workers to their
        last heartbeat, `held` is every ASSIGNED or RUNNING step run.

        Connected workers the store no longer calls ACTIVE leave (their registration was rolled
        back). Workers of an earlier process are absent, and get a lease from `now` to come back:
        the daemon was down, not they.
        """
        for worker_id in [w for w in self.connected if w not in active_in_store]:
            self.leave(worker_id)
        for worker in self.connected.values():
            worker.running = set()
        for absent in self.absent.values():
            absent.running = set()
        for worker_id, heartbeat in active_in_store.items():
            if worker_id not in self.connected and worker_id not in self.absent:
                self.absent[worker_id] = AbsentWorker(
                    worker_id, max(heartbeat, now), active_in_store=True
                )
        self._assignments = {}
        for step in held:
            worker_id = step.worker_id or ""
            if worker_id not in self.connected and worker_id not in self.absent:
                self.absent[worker_id] = AbsentWorker(worker_id, now)
            self.assign(
                Assignment(
                    step.id,
                    step.workflow_run_id,
                    step.job_run_id,
                    step.step_index,
                    step.attempt,
                    worker_id,
                    None,
                )
            )
        for worker_id in [
            w for w, a in self.absent.items() if not a.running and not a.active_in_store
        ]:
            del self.absent[worker_id]

    def _holder_running(self, worker_id: str) -> set[str]:
        holder = self.connected.get(worker_id) or self.absent.get(worker_id)
        if holder is None:
            raise KeyError(f"worker {worker_id} is neither connected nor absent")
        return holder.running


class ReadyQueue:
    """PENDING_ASSIGNMENT step runs per action, oldest first."""

    def __init__(self) -> None:
        self._by_action: dict[str, deque[tuple[int, ReadyStep]]] = {}
        # What is really waiting. Removing from the middle of a deque is O(n), so a taken-back
        # step run is only forgotten here and skipped when it reaches the head of its queue.
        self._waiting: dict[str, int] = {}
        self._order = itertools.count()
        # Places before every other: a step run handed back by a draining worker waited longer
        # than anything queued since it was first dispatched.
        self._front = itertools.count(-1, -1)

    def push(self, step: ReadyStep) -> None:
        """A step run is waiting for a worker."""
        seq = next(self._order)
        self._waiting[step.step_run_id] = seq
        self._by_action.setdefault(step.action, deque()).append((seq, step))

    def push_front(self, step: ReadyStep) -> None:
        """A step run waits again, ahead of everything queued (push the last one first to keep
        several in order)."""
        seq = next(self._front)
        self._waiting[step.step_run_id] = seq
        self._by_action.setdefault(step.action, deque()).appendleft((seq, step))

    def discard(self, step_run_id: str) -> None:
        """A waiting step run no longer waits (it was cancelled or failed)."""
        self._waiting.pop(step_run_id, None)

    def head(self, action: str) -> tuple[int, ReadyStep] | None:
        """The oldest step run waiting for `action` and its place in the global order."""
        queue = self._by_action.get(action)
        while queue:
            seq, step = queue[0]
            if self._waiting.get(step.step_run_id) == seq:
                return seq, step
            queue.popleft()
        self._by_action.pop(action, None)
        return None

    def take(self, step: ReadyStep) -> None:
        """Remove a step run that `head` returned."""
        self._by_action[step.action].popleft()
        del self._waiting[step.step_run_id]

    def actions(self) -> list[str]:
        """The actions some step run may be waiting for."""
        return list(self._by_action)

    def clear(self) -> None:
        """Forget everything (at a resync)."""
        self._by_action.clear()
        self._waiting.clear()

    def __len__(self) -> int:
        return len(self._waiting)


RenderFailed = Callable[[ReadyStep, str], None]
"""Called when a step's `with:` cannot be rendered: fails the step run and cascades."""


class Dispatcher(EnginePart):
    """Gives waiting step runs to connected workers and sends them their assignments."""

    def __init__(
        self,
        shared: Shared,
        *,
        on_render_failed: RenderFailed,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(shared)
        self._on_render_failed = on_render_failed
        self._environ = environ

    def dispatch(self) -> int:
        """Assign every waiting step run some worker can take now; return how many were."""
        assigned = 0
        while (match := self._next_match()) is not None:
            step, worker_id = match
            self._ready.take(step)
            assigned += self._assign(step, worker_id)
        return assigned

    def _next_match(self) -> tuple[ReadyStep, str] | None:
        best: tuple[int, ReadyStep, str] | None = None
        for action in self._ready.actions():
            head = self._ready.head(action)
            if head is None or (best is not None and head[0] > best[0]):
                continue
            worker = self._pool.best_for(action)
            if worker is not None:
                best = (head[0], head[1], worker.id)
        return None if best is None else (best[1], best[2])

    def _assign(self, step: ReadyStep, worker_id: str) -> int:
        run = self._runs.get(step.run_id)
        if run is None:  # the run ended meanwhile; its step runs are final too
            return 0
        job = run.jobs[step.job_run_id]
        spec = job.step(step.step_index)
        data = run.template_data(job)
        now = self._clock.now()
        # The execution timeout counts from here until the worker says it started (then from
        # RUNNING): a step a worker took and never began cannot wait forever.
        deadline = job.cap(now + timedelta(seconds=spec.timeout))
        if step.attempt > 1:  # a retry repeats its first attempt's input, stored already
            rendered = step.input
            change = StepRunChange(
                status=StepRunStatus.ASSIGNED,
                worker_id=worker_id,
                assigned_at=now,
                deadline_at=deadline,
            )
        else:
            try:
                rendered = render_value(spec.with_, data, environ=self._environ)
            except TemplateError as exc:
                self._on_render_failed(step, str(exc))
                return 0
            change = StepRunChange(
                status=StepRunStatus.ASSIGNED,
                input=rendered,
                worker_id=worker_id,
                assigned_at=now,
                deadline_at=deadline,
            )
        updated = self._store.update_step_run(
            step.step_run_id, change, from_statuses=(StepRunStatus.PENDING_ASSIGNMENT,)
        )
        if updated is None:  # no longer waiting after all: nothing to send
            return 0
        self._pool.assign(
            Assignment(
                step.step_run_id,
                step.run_id,
                step.job_run_id,
                step.step_index,
                step.attempt,
                worker_id,
                spec.timeout,
                job.deadline_at,
                step.handed_back_by,
            )
        )
        message = Assign(
            step_run_id=step.step_run_id,
            attempt=step.attempt,
            workflow_run_id=step.run_id,
            action=step.action,
            input=rendered,
            step_outputs=data["steps"],
            timeout=spec.timeout,
        )
        self._outbox.emit(SendAssign(worker_id, message))
        return 1
