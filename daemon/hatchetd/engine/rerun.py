"""Reruns (`POST /api/v1/runs/{id}/rerun`): a new run of an ended run's workflow version, with
its trigger, event and input, linked to it by `rerun_of_id`.

The version is the one the original ran, not the active one: a rerun repeats what happened,
even after the file changed or was deleted (to run the new version, replay the event or start
the workflow by hand). The rerun keeps the original's trigger kind and event, so templates see
the same `input` and `event`, and the event lists the rerun among its runs; a cron rerun has no
tick of its own (a tick starts one run), `rerun_of_id` leads to the one that has it.

From the failed steps (`from_failed`), the steps that succeeded are not run again: each job
that succeeded is copied as it was, and each other job keeps the outputs of its first steps
that succeeded and starts at the first that did not (`plan_run`'s `kept`).
"""

from __future__ import annotations

from hatchetd.contracts.enums import StepRunStatus
from hatchetd.contracts.runs import RunTrace, StepRun, WorkflowRun
from hatchetd.engine.catalog import Catalog
from hatchetd.engine.clock import Clock
from hatchetd.engine.errors import NothingFailed, RerunIdempotencyConflict, RunNotFinal, RunNotFound
from hatchetd.engine.manual import StartOutcome
from hatchetd.engine.planner import plan_run
from hatchetd.engine.ready_queue import ReadyQueue, ReadyStep
from hatchetd.engine.run_state import EventInfo, RunStates
from hatchetd.store import RunIdempotencyKeyTaken, Store


class Reruns:
    """Starts reruns of ended runs."""

    def __init__(
        self, store: Store, clock: Clock, catalog: Catalog, runs: RunStates, ready: ReadyQueue
    ) -> None:
        self._store = store
        self._clock = clock
        self._catalog = catalog
        self._runs = runs
        self._ready = ready

    def rerun(
        self, run_id: str, *, from_failed: bool = False, idempotency_key: str | None = None
    ) -> StartOutcome:
        """Start a rerun of the run `run_id`, whole or `from_failed`.

        Raises `RunNotFound`, `RunNotFinal`, `NothingFailed` (from_failed, and every step
        succeeded) and `RerunIdempotencyConflict`; nothing is written then.
        """
        key = idempotency_key
        if key is not None:
            earlier = self._store.get_workflow_run_by_idempotency_key(key)
            if earlier is not None:
                return StartOutcome(_same_rerun(earlier, key, run_id), created=False)
        original = self._store.get_run_trace(run_id)
        if original is None:
            raise RunNotFound(run_id)
        if not original.run.status.is_final:
            raise RunNotFinal(run_id, original.run.status.value)
        kept = None
        if from_failed:
            kept = kept_steps(original)
            if all(len(kept[job.name]) == len(job.latest) for job in _jobs(original)):
                raise NothingFailed(run_id)
        entry = self._catalog.version(original.run.workflow_version_id)
        run = original.run
        new = plan_run(
            version_id=entry.id,
            spec=entry.spec,
            event_id=run.event_id,
            now=self._clock.now(),
            trigger=run.trigger,
            input=run.input,
            idempotency_key=key,
            rerun_of_id=run.id,
            kept=kept,
        )
        event = None
        if run.event_id is not None:
            stored = self._store.get_event(run.event_id)
            event = None if stored is None else EventInfo.of(stored)
        try:
            self._store.create_runs([new])
        except RunIdempotencyKeyTaken:
            # Another daemon on the same database took the key meanwhile: answer with its run.
            assert key is not None
            earlier = self._store.get_workflow_run_by_idempotency_key(key)
            if earlier is None:
                raise
            return StartOutcome(_same_rerun(earlier, key, run_id), created=False)
        self._runs.add_planned(new, entry, event)
        for step in new.step_runs:
            if step.status is StepRunStatus.PENDING_ASSIGNMENT:
                self._ready.push(ReadyStep.of(step))
        return StartOutcome(new.run, created=True)


class _JobSteps:
    """A job run's latest attempt at each step, in step order."""

    def __init__(self, name: str, step_runs: list[StepRun]) -> None:
        latest: dict[int, StepRun] = {}
        for step in step_runs:  # in step order, then attempt order: the last attempt wins
            latest[step.step_index] = step
        self.name = name
        self.latest = [latest[index] for index in sorted(latest)]


def _jobs(trace: RunTrace) -> list[_JobSteps]:
    return [_JobSteps(job.job_run.job_name, job.step_runs) for job in trace.jobs]


def kept_steps(trace: RunTrace) -> dict[str, list[StepRun]]:
    """Per job name, the latest attempts of the job's first steps that succeeded, up to the
    first that did not: what a rerun from the failed steps keeps."""
    kept: dict[str, list[StepRun]] = {}
    for job in _jobs(trace):
        prefix: list[StepRun] = []
        for step in job.latest:
            if step.status is not StepRunStatus.SUCCEEDED:
                break
            prefix.append(step)
        kept[job.name] = prefix
    return kept


def _same_rerun(earlier: WorkflowRun, key: str, run_id: str) -> WorkflowRun:
    """`earlier`, if it reruns `run_id`; else the conflict."""
    if earlier.rerun_of_id != run_id:
        raise RerunIdempotencyConflict(key, earlier.id, run_id)
    return earlier
