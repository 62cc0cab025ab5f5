"""Other daemons on a shared store: what they made ready, ended or changed, as this one learns it.

On PostgreSQL several daemons serve one queue (docs/architecture.md). A daemon hears what the
others commit through NOTIFY (`heard`) and, in case a notification was missed, looks at the store
once a second (`poll_store`): it queues the step runs waiting for its own workers' actions, and
lets go of the step runs its workers hold that another daemon ended — a timeout on the leader, a
cancel made on another daemon — telling each worker to stop. On SQLite only `refill_ready` runs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from hatchetd.contracts.enums import CancelReason, StepRunStatus
from hatchetd.contracts.runs import StepRun, WorkflowRun
from hatchetd.contracts.worker_protocol import Cancel
from hatchetd.contracts.workflows import Workflow
from hatchetd.engine.controller import HELD
from hatchetd.engine.effects import SendCancel
from hatchetd.engine.parts import EnginePart
from hatchetd.engine.pool import Assignment
from hatchetd.engine.ready_queue import ReadyStep
from hatchetd.store.protocol import Written

POLL_LIMIT = 256
"""Step runs read per action at each look at a shared store: the oldest come first."""


class Peers(EnginePart):
    """Keeps this daemon's queue and workers in step with what other daemons commit."""

    def poll_store(self) -> None:
        """Queue the step runs waiting for this daemon's workers' actions, and let go of the
        step runs its workers hold that another daemon has ended, telling the workers to stop."""
        self.refill_ready(limit=POLL_LIMIT)
        held = {
            a.step_run_id: a
            for w in self._pool.connected.values()
            for a in self._pool.assignments_of(w.id)
        }
        if held:
            self._let_go(self._store.list_step_runs(ids=list(held)), held)

    def heard(self, records: Sequence[Written]) -> bool:
        """What other daemons committed: step runs they made ready for an action this daemon's
        workers have are queued here too (the first to claim one gets it), step runs they ended
        that a worker here holds are let go (the worker told to stop), runs they ended are
        forgotten. True if a workflow changed (the caller reloads its catalog)."""
        actions = self._pool.actions()
        steps: dict[str, StepRun] = {}
        for record in records:
            if isinstance(record, StepRun):
                steps[record.id] = record  # the last state a batch left wins
            elif isinstance(record, WorkflowRun) and record.status.is_final:
                self._runs.forget(record.id)
        held: dict[str, Assignment] = {}
        for step in steps.values():
            if step.status is StepRunStatus.PENDING_ASSIGNMENT and step.action in actions:
                self._ready.add(ReadyStep.of(step))
            elif (assignment := self._pool.assignment(step.id)) is not None:
                held[step.id] = assignment
        if held:
            self._let_go([steps[i] for i in held], held)
        return any(isinstance(record, Workflow) for record in records)

    def refill_ready(self, limit: int | None) -> None:
        """Queue the PENDING_ASSIGNMENT step runs from the store (all of them on a store this
        daemon has to itself; on a shared one, the oldest for each action of its workers)."""
        if not self._store.shared:
            for step in self._store.list_step_runs(statuses=(StepRunStatus.PENDING_ASSIGNMENT,)):
                self._ready.add(ReadyStep.of(step))
            return
        actions = self._pool.actions()
        self._ready.keep_only(actions)
        for action in sorted(actions):
            for step in self._store.list_step_runs(
                statuses=(StepRunStatus.PENDING_ASSIGNMENT,), action=action, limit=limit
            ):
                self._ready.add(ReadyStep.of(step))

    def _let_go(self, steps: Sequence[StepRun], held: Mapping[str, Assignment]) -> None:
        for step in steps:
            assignment = held[step.id]
            if step.attempt == assignment.attempt and step.status in HELD:
                continue
            self._pool.release(step.id)
            if step.status is StepRunStatus.CANCELLED and step.attempt == assignment.attempt:
                reason = step.cancel_reason or CancelReason.USER_CANCELLED
                message = Cancel(step_run_id=step.id, attempt=step.attempt, reason=reason)
                self._outbox.emit(SendCancel(assignment.worker_id, message))
