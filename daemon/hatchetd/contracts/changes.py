"""The daemon's change stream (`GET /api/v1/changes`): what was just committed, as it happens.

A client that shows live state (the TUI, `hatchet runs show --watch`) reads the history once
through the API, then applies these changes instead of polling the whole history again.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict


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


class Change(BaseModel):
    """One committed write."""

    model_config = ConfigDict(frozen=True, use_attribute_docstrings=True)

    seq: int
    """Increases by one per change within one daemon process (a gap means changes were lost)."""
    kind: ChangeKind
    """What kind of record changed."""
    id: str
    """The record's id (a workflow's name for `workflow`)."""
    run_id: str | None = None
    """The workflow run it belongs to, for `run`, `job_run` and `step_run`."""
    status: str | None = None
    """The record's status after the change, where it has one."""
    committed_at: datetime
    """When the daemon committed it (UTC)."""
    record: dict[str, Any]
    """The record as written: an Event, WorkflowRun, JobRun, StepRun, Worker or Workflow."""
