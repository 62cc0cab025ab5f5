"""The worker pool: the connected workers, the absent ones, and who holds which step run.

A worker is in the pool while its socket is open; it leaves when it disconnects or is lost, but
the step runs it holds stay on the books as an absent worker's until their results come back or
the lease runs out (`workers.py`). The dispatcher asks the pool for the best worker for an action.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import datetime

from hatchetd.contracts.runs import StepRun


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

    @classmethod
    def of(cls, step: StepRun) -> Assignment:
        """The assignment a stored step run records (its timeout yet to be looked up)."""
        return cls(
            step.id,
            step.workflow_run_id,
            step.job_run_id,
            step.step_index,
            step.attempt,
            step.worker_id or "",
            None,
        )


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
    """A worker of this daemon that is not connected but still holds step runs on the books.
    Its step runs wait for it (it may reconnect and re-send their results) until it has been
    silent for a lease."""

    id: str
    last_heard: datetime
    running: set[str] = field(default_factory=set)


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

    def actions(self) -> set[str]:
        """The actions some connected worker that is not draining has."""
        return {a for w in self.connected.values() if not w.draining for a in w.actions}

    def holders_of(self, action: str) -> list[PoolWorker]:
        """The connected workers with `action`, in registration order (`assignment_rule.py`
        picks among them)."""
        return self._by_action.get(action, [])

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

    def rebuild(self, connected_in_store: Collection[str], held: Iterable[StepRun]) -> None:
        """Make the books match the store: `connected_in_store` are the ids of this daemon's
        workers the store has ACTIVE or DRAINING, `held` every ASSIGNED or RUNNING step run
        those workers and this daemon's absent ones hold.

        Connected workers the store no longer has connected leave (their registration was
        rolled back, or another daemon declared them lost). Workers of other daemons, and of
        this daemon's earlier processes, are not in the books at all: the store-wide sweep
        (`Workers.sweep`) looks after them.
        """
        for worker_id in [w for w in self.connected if w not in connected_in_store]:
            self.leave(worker_id)
        for worker in self.connected.values():
            worker.running = set()
        for absent in self.absent.values():
            absent.running = set()
        self._assignments = {}
        for step in held:
            worker_id = step.worker_id or ""
            if worker_id not in self.connected and worker_id not in self.absent:
                continue
            self.assign(Assignment.of(step))
        for worker_id in [w for w, a in self.absent.items() if not a.running]:
            del self.absent[worker_id]

    def _holder_running(self, worker_id: str) -> set[str]:
        holder = self.connected.get(worker_id) or self.absent.get(worker_id)
        if holder is None:
            raise KeyError(f"worker {worker_id} is neither connected nor absent")
        return holder.running
