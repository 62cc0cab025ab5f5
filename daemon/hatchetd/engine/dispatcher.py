"""The ready queue, and the rule that matches it to the worker pool (design §8; `pool.py`).

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
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from hatchetd.contracts.enums import StepRunStatus
from hatchetd.contracts.runs import StepRun, StepRunChange
from hatchetd.contracts.worker_protocol import Assign
from hatchetd.engine.effects import SendAssign
from hatchetd.engine.parts import EnginePart, Shared
from hatchetd.engine.pool import Assignment
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
