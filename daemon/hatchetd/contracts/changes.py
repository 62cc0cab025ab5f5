"""The daemon's change stream (`GET /api/v1/changes`): what was just committed, as it happens.

A client that shows live state (the TUI, `hatchet runs show --watch`) reads the history once
through the API, then applies these changes instead of polling the whole history again; one that
waits for a run (`Client.runs.wait`) or follows its logs (`hatchet runs logs -f`) reads the run
once, then waits for the change that ends it.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict

from hatchetd.contracts.events import Event
from hatchetd.contracts.runs import JobRun, RunStepLog, StepRun, WorkflowRun
from hatchetd.contracts.workers import Worker
from hatchetd.contracts.workflows import Workflow


class ChangeKind(StrEnum):
    """What kind of record changed."""

    EVENT = "event"
    """An event was stored."""
    RUN = "run"
    """A workflow run was created or changed state."""
    JOB_RUN = "job_run"
    """A job run was created or changed state."""
    STEP_RUN = "step_run"
    """A step run was created or changed (assigned, started, finished, cancelled, retried)."""
    WORKER = "worker"
    """A worker registered, left or was lost."""
    WORKFLOW = "workflow"
    """A workflow got a new version, or was activated or deactivated by a reload."""
    STEP_LOG = "step_log"
    """A step run logged a line (`ctx.log()`): the line as stored, with its run. A step run's
    lines come in the order it logged them, and the lines it logged before its result come
    before the change that records the result (so before the run's final change)."""


class Change(BaseModel):
    """One committed write."""

    model_config = ConfigDict(frozen=True, use_attribute_docstrings=True)

    seq: int
    """Increases by one per change within one daemon process (a gap means changes were lost)."""
    kind: ChangeKind
    """What kind of record changed."""
    id: str
    """The record's id (a workflow's name for `workflow`, the step run's id for `step_log`)."""
    run_id: str | None = None
    """The workflow run it belongs to, for `run`, `job_run`, `step_run` and `step_log`."""
    status: str | None = None
    """The record's status after the change, where it has one (not for `event`, `step_log`)."""
    committed_at: datetime
    """When the daemon committed it (UTC)."""
    record: dict[str, Any]
    """The record as written: an Event, WorkflowRun, JobRun, StepRun, Worker or Workflow, or for
    `step_log` a StepLog with its `workflow_run_id` (a `RunStepLog`); `record_model()` reads it."""

    def record_model(self) -> ChangedRecord:
        """`record` as the model its `kind` names (`WorkflowRun` for `run`, `RunStepLog` for
        `step_log`, ...)."""
        return _MODELS[self.kind].model_validate(self.record)  # type: ignore[return-value]


ChangedRecord = Event | WorkflowRun | JobRun | StepRun | Worker | Workflow | RunStepLog
"""What `Change.record_model()` returns."""

_MODELS: dict[ChangeKind, type[BaseModel]] = {
    ChangeKind.EVENT: Event,
    ChangeKind.RUN: WorkflowRun,
    ChangeKind.JOB_RUN: JobRun,
    ChangeKind.STEP_RUN: StepRun,
    ChangeKind.WORKER: Worker,
    ChangeKind.WORKFLOW: Workflow,
    ChangeKind.STEP_LOG: RunStepLog,
}
