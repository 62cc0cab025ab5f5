"""Runs started by hand (`POST /api/v1/workflows/{name}/runs`): the workflow's active version,
with an input that templates read as they read an event's payload.

Like a push, a start is one engine command: checked before anything is written, stored in the
runtime's batch, its first steps queued for the dispatch that follows in the same batch. An
idempotency key makes it safe to send again, as a push's key does: the same key with the same
workflow and input answers with the run it started, anything else with it is refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hatchetd.contracts.enums import StepRunStatus, TriggerKind
from hatchetd.contracts.runs import WorkflowRun
from hatchetd.engine.catalog import Catalog
from hatchetd.engine.clock import Clock
from hatchetd.engine.errors import RunIdempotencyConflict, WorkflowInactive, WorkflowNotFound
from hatchetd.engine.planner import plan_run
from hatchetd.engine.ready_queue import ReadyQueue, ReadyStep
from hatchetd.engine.run_state import RunStates
from hatchetd.store import RunIdempotencyKeyTaken, Store


@dataclass(frozen=True)
class StartOutcome:
    """A run started by hand (or rerun, `rerun.py`), and whether this request created it
    (False: its idempotency key had started it before)."""

    run: WorkflowRun
    created: bool


class ManualRuns:
    """Starts workflow runs by hand."""

    def __init__(
        self, store: Store, clock: Clock, catalog: Catalog, runs: RunStates, ready: ReadyQueue
    ) -> None:
        self._store = store
        self._clock = clock
        self._catalog = catalog
        self._runs = runs
        self._ready = ready

    def start(
        self, name: str, input: dict[str, Any], idempotency_key: str | None = None
    ) -> StartOutcome:
        """Start a run of workflow `name`'s active version with `input`.

        Raises `WorkflowNotFound`, `WorkflowInactive` (its file was deleted) and
        `RunIdempotencyConflict`; nothing is written then.
        """
        key = idempotency_key
        if key is not None:
            # Before the workflow's state: a retry answers even if the file went meanwhile.
            earlier = self._store.get_workflow_run_by_idempotency_key(key)
            if earlier is not None:
                return StartOutcome(_same_start(earlier, name, input), created=False)
        # The store, not the catalog, says what is active: on a shared store another daemon
        # may have reloaded its folder a moment ago.
        workflow = self._store.get_workflow(name)
        if workflow is None:
            raise WorkflowNotFound(name)
        if not workflow.active:
            raise WorkflowInactive(name, workflow.file)
        entry = self._catalog.version(workflow.current_version_id)
        new = plan_run(
            version_id=entry.id,
            spec=entry.spec,
            event_id=None,
            now=self._clock.now(),
            trigger=TriggerKind.MANUAL,
            input=input,
            idempotency_key=key,
        )
        try:
            self._store.create_runs([new])
        except RunIdempotencyKeyTaken:
            # Another daemon on the same database started it between the look above and this
            # insert (the insert waited for its commit): answer with that run.
            assert key is not None
            earlier = self._store.get_workflow_run_by_idempotency_key(key)
            if earlier is None:
                raise
            return StartOutcome(_same_start(earlier, name, input), created=False)
        self._runs.add_planned(new, entry, None)
        for step in new.step_runs:
            if step.status is StepRunStatus.PENDING_ASSIGNMENT:
                self._ready.push(ReadyStep.of(step))
        return StartOutcome(new.run, created=True)


def _same_start(earlier: WorkflowRun, name: str, input: dict[str, Any]) -> WorkflowRun:
    """`earlier`, if it is what this start asks for; else the conflict."""
    assert earlier.idempotency_key is not None
    if earlier.workflow_name != name:
        what = f"another workflow ({earlier.workflow_name!r})"
        raise RunIdempotencyConflict(earlier.idempotency_key, earlier.id, what)
    if earlier.input != input:
        raise RunIdempotencyConflict(earlier.idempotency_key, earlier.id, "other input")
    return earlier
