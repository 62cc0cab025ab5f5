"""The states and reasons of design §5, shared by the daemon, the API and the CLI."""

from __future__ import annotations

from enum import StrEnum


class StepRunStatus(StrEnum):
    """Where a step run is in its life; the last three are final."""

    PENDING = "PENDING"
    PENDING_ASSIGNMENT = "PENDING_ASSIGNMENT"
    ASSIGNED = "ASSIGNED"
    RUNNING = "RUNNING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"

    @property
    def is_final(self) -> bool:
        return self in _FINAL_STEP


class RunStatus(StrEnum):
    """Where a workflow run or a job run is in its life; the last three are final."""

    PENDING = "PENDING"
    RUNNING = "RUNNING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"

    @property
    def is_final(self) -> bool:
        return self in _FINAL_RUN


class CancelReason(StrEnum):
    """Why a run was cancelled rather than finishing on its own."""

    TIMED_OUT = "TIMED_OUT"
    SCHEDULING_TIMED_OUT = "SCHEDULING_TIMED_OUT"
    JOB_TIMED_OUT = "JOB_TIMED_OUT"
    PREVIOUS_STEP_FAILED = "PREVIOUS_STEP_FAILED"
    USER_CANCELLED = "USER_CANCELLED"
    WORKER_LOST = "WORKER_LOST"


class WorkerStatus(StrEnum):
    """A worker is ACTIVE while its socket is open and its heartbeats arrive; DRAINING once it
    said it is shutting down (it finishes what it started and gets nothing new)."""

    ACTIVE = "ACTIVE"
    DRAINING = "DRAINING"
    LOST = "LOST"
    STOPPED = "STOPPED"


class WaitReason(StrEnum):
    """Why a step run waiting for a worker (PENDING_ASSIGNMENT) is not given to one."""

    NO_WORKER = "NO_WORKER"
    """No connected worker registered its action."""
    WORKERS_BUSY = "WORKERS_BUSY"
    """The connected workers that serve its action have every slot taken."""
    WORKERS_DRAINING = "WORKERS_DRAINING"
    """The only connected workers that serve its action are shutting down."""


class TriggerKind(StrEnum):
    """What started a workflow run: an event, a cron tick, or someone by hand (the API's
    `POST /api/v1/workflows/{name}/runs`)."""

    EVENT = "EVENT"
    CRON = "CRON"
    MANUAL = "MANUAL"


_FINAL_STEP = frozenset({StepRunStatus.SUCCEEDED, StepRunStatus.FAILED, StepRunStatus.CANCELLED})
_FINAL_RUN = frozenset({RunStatus.SUCCEEDED, RunStatus.FAILED, RunStatus.CANCELLED})
