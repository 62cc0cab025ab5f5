"""Workflow runs, job runs and step runs: the trace of what happened (design §5)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from hatchetd.contracts.enums import (
    CancelReason,
    RunStatus,
    StepRunStatus,
    TriggerKind,
    WaitReason,
)


class WorkflowRun(BaseModel):
    """One execution of one workflow version."""

    model_config = ConfigDict(use_attribute_docstrings=True, frozen=True)

    id: str
    """The run's id."""
    workflow_name: str
    """The workflow it runs."""
    workflow_version_id: str
    """The version it runs; fixed when the run is created."""
    trigger: TriggerKind
    """What started it."""
    event_id: str | None = None
    """The event that triggered it (EVENT runs)."""
    cron_tick_at: datetime | None = None
    """The schedule tick that fired it (CRON runs); unique per workflow."""
    input: dict[str, Any] | None = None
    """What it was started with (MANUAL runs): a JSON object that templates read as `input`,
    and its top-level keys directly, as they read an event's payload. Null for EVENT runs (the
    event holds their payload) and CRON runs (their input is `{}`)."""
    idempotency_key: str | None = None
    """The key it was started with (MANUAL runs): starting the same workflow with the same key
    and input again returns this run."""
    rerun_of_id: str | None = None
    """The run this one reruns (`hatchet runs rerun`): it runs that run's workflow version with
    its trigger, event and input."""
    status: RunStatus = RunStatus.PENDING
    """Its state."""
    error: str | None = None
    """Why it failed, when it did."""
    cancel_reason: CancelReason | None = None
    """Why it was cancelled, when it was."""
    created_at: datetime
    """When it was created."""
    started_at: datetime | None = None
    """When its first job started."""
    finished_at: datetime | None = None
    """When it reached a final state."""


class JobRun(BaseModel):
    """One job of a workflow run; its steps run in order."""

    model_config = ConfigDict(use_attribute_docstrings=True, frozen=True)

    id: str
    """The job run's id."""
    workflow_run_id: str
    """The workflow run it belongs to."""
    job_name: str
    """The job's key under `jobs:`."""
    status: RunStatus = RunStatus.PENDING
    """Its state."""
    error: str | None = None
    """Why it failed, when it did."""
    cancel_reason: CancelReason | None = None
    """Why it was cancelled, when it was."""
    deadline_at: datetime | None = None
    """When the job timeout fires, once the job has started and has a timeout."""
    created_at: datetime
    """When it was created."""
    started_at: datetime | None = None
    """When its first step run was created."""
    finished_at: datetime | None = None
    """When it reached a final state."""


class StepRun(BaseModel):
    """One attempt at one step: retries are further step runs with higher attempt numbers."""

    model_config = ConfigDict(use_attribute_docstrings=True, frozen=True)

    id: str
    """The step run's id."""
    workflow_run_id: str
    """The workflow run it belongs to."""
    job_run_id: str
    """The job run it belongs to."""
    step_id: str
    """The step's `id` in the workflow file."""
    step_index: int
    """The step's position in its job, from 0."""
    action: str
    """The action a worker must have registered to run it."""
    attempt: int = 1
    """The attempt number, from 1; results from older attempts are rejected."""
    status: StepRunStatus = StepRunStatus.PENDING
    """Its state."""
    input: Any = None
    """The rendered `with:` value, set just before assignment."""
    output: Any = None
    """What the action returned."""
    error: str | None = None
    """The error message, with the traceback when a worker sent one."""
    cancel_reason: CancelReason | None = None
    """Why it was cancelled, when it was."""
    worker_id: str | None = None
    """The worker it was assigned to."""
    deadline_at: datetime | None = None
    """When the state it is in times out: the scheduling deadline while waiting for a worker,
    the execution deadline while running, the retry time while backing off."""
    created_at: datetime
    """When it was created."""
    assigned_at: datetime | None = None
    """When a worker was given it."""
    started_at: datetime | None = None
    """When the worker reported it started."""
    finished_at: datetime | None = None
    """When it reached a final state."""


class StepRunChange(BaseModel):
    """The fields a transition sets; only the fields given are written."""

    model_config = ConfigDict(frozen=True)

    status: StepRunStatus | None = None
    input: Any = None
    output: Any = None
    error: str | None = None
    cancel_reason: CancelReason | None = None
    worker_id: str | None = None
    deadline_at: datetime | None = None
    assigned_at: datetime | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None


class RunChange(BaseModel):
    """The fields a job-run or workflow-run transition sets; only the fields given are written."""

    model_config = ConfigDict(frozen=True)

    status: RunStatus | None = None
    error: str | None = None
    cancel_reason: CancelReason | None = None
    deadline_at: datetime | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None


class NewRun(BaseModel):
    """A workflow run with its job runs and first step runs, created in one go."""

    model_config = ConfigDict(frozen=True)

    run: WorkflowRun
    job_runs: list[JobRun]
    step_runs: list[StepRun] = Field(default_factory=list)


class JobRunTrace(BaseModel):
    """A job run with every step run it has had, in step order then attempt order."""

    model_config = ConfigDict(use_attribute_docstrings=True, frozen=True)

    job_run: JobRun
    """The job run."""
    step_runs: list[StepRun]
    """Its step runs: every attempt at every step, in step order then attempt order."""


class StepWait(BaseModel):
    """Why a step run waiting for a worker is not running yet."""

    model_config = ConfigDict(use_attribute_docstrings=True, frozen=True)

    step_run_id: str
    """The step run (in PENDING_ASSIGNMENT)."""
    action: str
    """The action it needs."""
    reason: WaitReason
    """NO_WORKER (no connected worker serves the action), WORKERS_BUSY (those that do have every
    slot taken) or WORKERS_DRAINING (those that do are shutting down)."""
    message: str
    """The reason in a sentence, as `hatchet runs show` prints it."""


class RunTrace(BaseModel):
    """A workflow run with its whole tree: what `hatchet runs show` draws."""

    model_config = ConfigDict(use_attribute_docstrings=True, frozen=True)

    run: WorkflowRun
    """The workflow run."""
    jobs: list[JobRunTrace]
    """Its job runs with their step runs, in the order the workflow file lists the jobs."""
    waiting: list[StepWait] = Field(default_factory=list)
    """Why each of its step runs that waits for a worker is not given to one, as the daemon saw
    its workers when it answered. A step run waiting while a worker with a free slot serves its
    action (it is about to be assigned) is not listed."""
    rerun_ids: list[str] = Field(default_factory=list)
    """The runs that rerun this one, oldest first."""

    def step(self, step_id: str) -> StepRun:
        """The latest attempt at the step `step_id` (its `id:` in the workflow file); a
        `KeyError` naming the steps there are if the run has no such step."""
        attempts = [s for job in self.jobs for s in job.step_runs if s.step_id == step_id]
        if not attempts:
            known = sorted({s.step_id for job in self.jobs for s in job.step_runs})
            raise KeyError(f"run {self.run.id} has no step {step_id!r}; it has {known}")
        return max(attempts, key=lambda s: s.attempt)

    def output(self, step_id: str) -> Any:
        """What the step `step_id` returned: its latest attempt's output (None until it
        succeeded)."""
        return self.step(step_id).output


class RunQuery(BaseModel):
    """A filter over workflow runs; every field narrows it."""

    model_config = ConfigDict(use_attribute_docstrings=True, frozen=True)

    workflow_name: str | None = None
    """Only runs of this workflow."""
    statuses: tuple[RunStatus, ...] = ()
    """Only runs in one of these states."""
    event_id: str | None = None
    """Only runs triggered by this event."""
    since: datetime | None = None
    """Only runs created at or after this time."""
    until: datetime | None = None
    """Only runs created before this time."""
    limit: int = Field(default=50, ge=1, le=1000)
    """The page size."""
    cursor: str | None = None
    """The `next_cursor` of the previous page."""


class StepLog(BaseModel):
    """One line a worker logged while running a step."""

    model_config = ConfigDict(use_attribute_docstrings=True, frozen=True)

    step_run_id: str
    """The step run (one attempt) that logged it."""
    at: datetime
    """When the daemon received it (UTC)."""
    line: str
    """The text, without a trailing newline."""


class RunStepLog(StepLog):
    """A log line as the daemon stores it, with the workflow run its step run belongs to: what
    the change stream (`step_log` changes) and the other daemons on a shared store hear of it.
    The store keeps the `StepLog` part; the run is known from the step run."""

    workflow_run_id: str
    """The workflow run the step run belongs to."""
