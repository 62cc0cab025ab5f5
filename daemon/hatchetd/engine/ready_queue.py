"""The ready queue: step runs waiting for a worker (PENDING_ASSIGNMENT), per action, oldest first.

What the dispatcher takes from (`dispatcher.py`), and what the rest of the engine feeds: a new
run's first steps, a job's next step, a retry whose backoff is over, a step a draining worker
handed back (ahead of the rest), and on a shared database the steps another daemon made ready.
"""

from __future__ import annotations

import itertools
from collections import deque
from dataclasses import dataclass
from typing import Any

from hatchetd.contracts.runs import StepRun


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

    def add(self, step: ReadyStep) -> None:
        """A step run found waiting in the store (another daemon made it ready): queued unless
        it already is, in which case it keeps its place."""
        if step.step_run_id not in self._waiting:
            self.push(step)

    def keep_only(self, actions: set[str]) -> None:
        """Forget the step runs waiting for any other action: on a shared store another
        daemon's workers take them, and they are read again when a worker with the action
        connects here."""
        for action in [a for a in self._by_action if a not in actions]:
            for _, step in self._by_action.pop(action):
                self._waiting.pop(step.step_run_id, None)

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
