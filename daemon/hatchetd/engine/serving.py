"""Which actions the connected workers serve: what `hatchet status` and `workflows list` call
unserved, and why a step run waiting for a worker still waits.

A step run waits in PENDING_ASSIGNMENT until a worker that registered its action has a free
slot (design §5); without a word it looks stuck for its whole `schedule_timeout`. This reads the
workers the store has connected — every daemon's on a shared store, not only this one's pool —
and the step runs they hold, so the answer is the same whichever daemon a client asks.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from hatchetd.contracts.enums import StepRunStatus, WaitReason, WorkerStatus
from hatchetd.contracts.runs import RunTrace, StepWait
from hatchetd.contracts.workers import CONNECTED, Worker
from hatchetd.contracts.workflows import WorkflowVersion
from hatchetd.store import Store

_HELD = (StepRunStatus.ASSIGNED, StepRunStatus.RUNNING)
"""The states of a step run that takes one of its worker's slots."""


@dataclass(frozen=True)
class Serving:
    """The connected workers and how many step runs each holds."""

    workers: tuple[Worker, ...]
    held: Mapping[str, int]
    """Step runs held (ASSIGNED or RUNNING) by worker id."""

    @classmethod
    def read(cls, store: Store) -> Serving:
        """The workers the store has connected now, with the step runs they hold."""
        workers = tuple(store.list_workers(statuses=CONNECTED))
        held: Counter[str] = Counter()
        if workers:
            for step in store.list_step_runs(statuses=_HELD):
                if step.worker_id is not None:
                    held[step.worker_id] += 1
        return cls(workers, held)

    def serves(self, action: str) -> bool:
        """True if a connected worker registered `action` (busy or shutting down or not)."""
        return any(action in worker.actions for worker in self.workers)

    def unserved(self, actions: Iterable[str]) -> list[str]:
        """The `actions` no connected worker registered, sorted, each once."""
        return sorted({action for action in actions if not self.serves(action)})

    def why_waiting(self, action: str) -> tuple[WaitReason, str] | None:
        """Why a step run with `action` waits for a worker, and that in a sentence; None when a
        worker serving it has a free slot (the step is about to be assigned)."""
        serving = [w for w in self.workers if action in w.actions]
        head = f"waiting for a worker with action {action}"
        if not serving:
            return WaitReason.NO_WORKER, f"{head} — none connected serves it"
        active = [w for w in serving if w.status is WorkerStatus.ACTIVE]
        if not active:
            return (
                WaitReason.WORKERS_DRAINING,
                f"{head} — the {_workers(len(serving))} serving it "
                f"{'is' if len(serving) == 1 else 'are'} shutting down",
            )
        if all(self.held.get(w.id, 0) >= w.slots for w in active):
            slots = sum(w.slots for w in active)
            return (
                WaitReason.WORKERS_BUSY,
                f"{head} — the {_workers(len(active))} serving it "
                f"{'has' if len(active) == 1 else 'have'} all {_slots(slots)} busy",
            )
        return None

    def waits(self, trace: RunTrace) -> list[StepWait]:
        """Why each step run of `trace` that waits for a worker still waits."""
        found: list[StepWait] = []
        for job in trace.jobs:
            for step in job.step_runs:
                if step.status is not StepRunStatus.PENDING_ASSIGNMENT:
                    continue
                why = self.why_waiting(step.action)
                if why is not None:
                    reason, message = why
                    found.append(
                        StepWait(
                            step_run_id=step.id, action=step.action, reason=reason, message=message
                        )
                    )
        return found


def active_versions(store: Store) -> list[WorkflowVersion]:
    """The current version of every active workflow, by workflow name."""
    versions = (
        store.get_workflow_version(w.current_version_id) for w in store.list_workflows() if w.active
    )
    return [version for version in versions if version is not None]


def actions_of(version: WorkflowVersion) -> list[str]:
    """The actions a workflow version's steps call, in file order, each once."""
    jobs = version.definition.get("jobs", {})
    return list(
        dict.fromkeys(str(step["action"]) for job in jobs.values() for step in job.get("steps", []))
    )


def with_waits(trace: RunTrace, store: Store) -> RunTrace:
    """`trace` with its `waiting` filled in; the store is read only when a step run waits."""
    if not any(
        step.status is StepRunStatus.PENDING_ASSIGNMENT
        for job in trace.jobs
        for step in job.step_runs
    ):
        return trace
    return trace.model_copy(update={"waiting": Serving.read(store).waits(trace)})


def _workers(count: int) -> str:
    return "worker" if count == 1 else f"{count} workers"


def _slots(count: int) -> str:
    return "1 slot" if count == 1 else f"{count} slots"
