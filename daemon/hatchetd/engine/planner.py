"""A new workflow run, planned whole: the run, one job run per job, one step run per step.

Every step run is created up front so that `hatchet runs show` draws the whole tree from the
first moment; only the first step of each job is ready for a worker, the rest wait their turn.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from hatchetd.contracts.enums import RunStatus, StepRunStatus, TriggerKind
from hatchetd.contracts.ids import new_id
from hatchetd.contracts.runs import JobRun, NewRun, StepRun, WorkflowRun
from hatchetd.contracts.spec import WorkflowSpec


def plan_run(
    *,
    version_id: str,
    spec: WorkflowSpec,
    event_id: str | None,
    now: datetime,
    trigger: TriggerKind = TriggerKind.EVENT,
    cron_tick_at: datetime | None = None,
    input: dict[str, Any] | None = None,
    idempotency_key: str | None = None,
) -> NewRun:
    """The run of one workflow version that an event (or, with `trigger=CRON`, the schedule
    tick `cron_tick_at`; with `trigger=MANUAL`, someone by hand with `input`) starts, as of
    `now`.

    The run and its jobs start at once (RUNNING, `started_at` now; a job with a timeout gets its
    deadline); the first step of each job is PENDING_ASSIGNMENT until its schedule timeout (or
    the job's deadline, if sooner), the others PENDING. Everything is attempt 1.
    """
    run = WorkflowRun(
        id=new_id(),
        workflow_name=spec.name,
        workflow_version_id=version_id,
        trigger=trigger,
        event_id=event_id,
        cron_tick_at=cron_tick_at,
        input=input,
        idempotency_key=idempotency_key,
        status=RunStatus.RUNNING,
        created_at=now,
        started_at=now,
    )
    job_runs: list[JobRun] = []
    step_runs: list[StepRun] = []
    for job_name, job in spec.jobs.items():
        job_deadline = None if job.timeout is None else now + timedelta(seconds=job.timeout)
        job_run = JobRun(
            id=new_id(),
            workflow_run_id=run.id,
            job_name=job_name,
            status=RunStatus.RUNNING,
            deadline_at=job_deadline,
            created_at=now,
            started_at=now,
        )
        job_runs.append(job_run)
        for index, step in enumerate(job.steps):
            first = index == 0
            waiting = now + timedelta(seconds=step.schedule_timeout)
            if job_deadline is not None:  # a step never outlives its job (`JobState.cap`)
                waiting = min(waiting, job_deadline)
            step_runs.append(
                StepRun(
                    id=new_id(),
                    workflow_run_id=run.id,
                    job_run_id=job_run.id,
                    step_id=step.id,
                    step_index=index,
                    action=step.action,
                    attempt=1,
                    status=StepRunStatus.PENDING_ASSIGNMENT if first else StepRunStatus.PENDING,
                    deadline_at=waiting if first else None,
                    created_at=now,
                )
            )
    return NewRun(run=run, job_runs=job_runs, step_runs=step_runs)
