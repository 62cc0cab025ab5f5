"""The engine's memory of the workflow runs in flight: what it needs to move them on.

Per run: the parsed version it runs, its event or the input it was started with by hand
(templates read them), and per job the ids of its current step runs (the latest attempt of each
step), the outputs of the steps that succeeded and the job's deadline. With that, a result costs
only the writes it causes, never a read of what the engine itself wrote a moment ago.

This is a cache, never the truth: every entry can be rebuilt from the store, entries
are dropped when their run ends or when the cache is full, and `clear()` after a rollback.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from hatchetd.contracts.enums import RunStatus, StepRunStatus
from hatchetd.contracts.events import NewEvent
from hatchetd.contracts.runs import NewRun
from hatchetd.contracts.spec import JobSpec, StepSpec
from hatchetd.engine.catalog import Catalog, CatalogEntry
from hatchetd.store import Store
from hatchetd.templating import build_template_data

DEFAULT_CAPACITY = 10_000
"""Runs kept in memory at most; more in flight are read back from the store when needed."""


@dataclass(frozen=True)
class EventInfo:
    """What templates may read of the event that started a run."""

    id: str
    key: str
    created_at: datetime
    data: dict[str, Any]

    @classmethod
    def of(cls, event: NewEvent) -> EventInfo:
        """The parts of a stored or new event that templates read."""
        return cls(event.id, event.key, event.created_at, event.data)

    def template_view(self) -> dict[str, Any]:
        """`event` as templates see it."""
        return {"id": self.id, "key": self.key, "created_at": self.created_at.isoformat()}


@dataclass
class JobState:
    """One job run in flight."""

    id: str
    name: str
    spec: JobSpec
    step_run_ids: list[str]
    """The current attempt's step run of each step, by step index."""
    outputs: dict[str, Any] = field(default_factory=dict)
    """The output of every step that succeeded, by step id."""
    status: RunStatus = RunStatus.RUNNING
    error: str | None = None
    """Why it failed, once it has."""
    deadline_at: datetime | None = None
    """When the job timeout fires (its start plus `timeout`); None without a job timeout."""

    def step(self, index: int) -> StepSpec:
        """The spec of the step at `index`."""
        return self.spec.steps[index]

    def cap(self, deadline: datetime) -> datetime:
        """`deadline`, or the job's own deadline if that comes first.

        Every step deadline is capped this way, so the one query for passed step deadlines also
        finds the jobs whose timeout has run out: a running job always has one step run with a
        deadline (the one waiting, backing off or running), and it falls due by the job's.
        """
        if self.deadline_at is not None and self.deadline_at < deadline:
            return self.deadline_at
        return deadline


@dataclass
class RunState:
    """One workflow run in flight."""

    id: str
    workflow: CatalogEntry
    event: EventInfo | None
    jobs: dict[str, JobState]
    """By job run id, in the order of the workflow's jobs."""
    version: int = 0
    """The run row's version this state reflects (on a shared store: `RunStates.get`)."""
    input: dict[str, Any] | None = None
    """What a run started by hand was given; templates read it as they read a payload."""

    @property
    def finished(self) -> bool:
        """True once every job is final: the run itself can be made final."""
        return all(job.status.is_final for job in self.jobs.values())

    def first_failure(self) -> JobState | None:
        """The first job, in the workflow's order, that did not succeed."""
        for job in self.jobs.values():
            if job.status.is_final and job.status is not RunStatus.SUCCEEDED:
                return job
        return None

    def template_data(self, job: JobState) -> dict[str, Any]:
        """What the `with:` templates of `job`'s next step see (design §4)."""
        version = self.workflow.version
        return build_template_data(
            input=self.event.data if self.event is not None else self.input or {},
            steps=dict(job.outputs),
            event=self.event.template_view() if self.event is not None else None,
            workflow={"name": version.workflow_name, "version": version.version},
            run={"id": self.id},
        )


class RunStates:
    """Runs in flight by id, least recently used dropped first when full."""

    def __init__(self, store: Store, catalog: Catalog, capacity: int = DEFAULT_CAPACITY) -> None:
        if capacity < 1:
            raise ValueError(f"the run cache needs room for at least one run, not {capacity}")
        self._store = store
        self._catalog = catalog
        self._capacity = capacity
        self._runs: OrderedDict[str, RunState] = OrderedDict()

    def add_planned(self, new: NewRun, workflow: CatalogEntry, event: EventInfo | None) -> None:
        """Remember a run the engine has just created."""
        ids: dict[str, list[str]] = {}
        outputs: dict[str, dict[str, Any]] = {}
        for step in new.step_runs:
            ids.setdefault(step.job_run_id, []).append(step.id)
            if step.status is StepRunStatus.SUCCEEDED:  # kept by a rerun from its failed steps
                outputs.setdefault(step.job_run_id, {})[step.step_id] = step.output
        jobs = {
            job.id: JobState(
                job.id,
                job.job_name,
                workflow.spec.jobs[job.job_name],
                ids[job.id],
                outputs=outputs.get(job.id, {}),
                status=job.status,
                deadline_at=job.deadline_at,
            )
            for job in new.job_runs
        }
        self._put(RunState(new.run.id, workflow, event, jobs, input=new.run.input))

    def get(self, run_id: str, *, wait: bool = True) -> RunState | None:
        """The run's state, from the store if it is not in memory; None if there is no such run
        or it has already ended.

        On a shared store (several daemons) this also locks the run for the rest of the
        transaction, and reads it again if another daemon changed it since this one last did:
        the version the lock returns is one more than the remembered one only if nobody else
        has touched the run in between. `wait=False` raises `RunBusy` rather than wait for
        another daemon's lock on it.
        """
        state = self._runs.get(run_id)
        if self._store.shared:
            return self._locked(run_id, state, wait)
        if state is not None:
            self._runs.move_to_end(run_id)
            return state
        state = self._load(run_id)
        if state is not None:
            self._put(state)
        return state

    def _locked(self, run_id: str, state: RunState | None, wait: bool) -> RunState | None:
        version = self._store.lock_run(run_id, wait=wait)
        if version is None:  # ended, by this daemon or another
            self._runs.pop(run_id, None)
            return None
        if state is None or state.version not in (version, version - 1):
            # Read after the lock: every change another daemon committed to the run is seen.
            state = self._load(run_id)
            if state is None:
                return None
        state.version = version
        self._put(state)
        return state

    def _load(self, run_id: str) -> RunState | None:
        """Rebuild a run's state from the store (three reads for the tree, one for the event)."""
        trace = self._store.get_run_trace(run_id)
        if trace is None or trace.run.status.is_final:
            return None
        workflow = self._catalog.version(trace.run.workflow_version_id)
        event = None
        if trace.run.event_id is not None:
            stored = self._store.get_event(trace.run.event_id)
            event = None if stored is None else EventInfo.of(stored)
        jobs: dict[str, JobState] = {}
        for job_trace in trace.jobs:
            job_run = job_trace.job_run
            spec = workflow.spec.jobs[job_run.job_name]
            ids = [""] * len(spec.steps)
            job = JobState(
                job_run.id,
                job_run.job_name,
                spec,
                ids,
                status=job_run.status,
                error=job_run.error,
                deadline_at=job_run.deadline_at,
            )
            # In step order, then attempt order: the last attempt of each step wins.
            for step_run in job_trace.step_runs:
                ids[step_run.step_index] = step_run.id
                if step_run.status is StepRunStatus.SUCCEEDED:
                    job.outputs[step_run.step_id] = step_run.output
            jobs[job_run.id] = job
        return RunState(run_id, workflow, event, jobs, input=trace.run.input)

    def forget(self, run_id: str) -> None:
        """Drop a run that has ended."""
        self._runs.pop(run_id, None)

    def clear(self) -> None:
        """Drop everything (after a rollback or at a resync)."""
        self._runs.clear()

    def __len__(self) -> int:
        return len(self._runs)

    def _put(self, state: RunState) -> None:
        self._runs[state.id] = state
        self._runs.move_to_end(state.id)
        while len(self._runs) > self._capacity:
            self._runs.popitem(last=False)
