"""A new workflow run, planned whole: the run, one job run per job, one step run per step.

Every step run is created up front so that `hatchet runs show` draws the whole tree from the
first moment; only the first step of each job is ready for a worker, the rest wait their turn.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
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
    rerun_of_id: str | None = None,
    kept: Mapping[str, Sequence[StepRun]] | None = None,
) -> NewRun:
    """The run of one workflow version that an event (or, with `trigger=CRON`, the schedule
    tick `cron_tick_at`; with `trigger=MANUAL`, someone by hand with `input`) starts, as of
    `now`.

    The run and its jobs start at once (RUNNING, `started_at` now; a job with a timeout gets its
    deadline); the first step of each job is PENDING_ASSIGNMENT until its schedule timeout (or
    the job's deadline, if sooner), the others PENDING. Everything is attempt 1.

    A rerun (`rerun_of_id`) may keep, per job name in `kept`, the succeeded step runs of the
    original's first steps: they are copied as SUCCEEDED with their input and output (created
    and finished `now`: they took no time in this run, and were run by no worker of it), and the
    job starts at the step after them; a job whose every step is kept is SUCCEEDED at once.
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
        rerun_of_id=rerun_of_id,
        status=RunStatus.RUNNING,
        created_at=now,
        started_at=now,
    )
    job_runs: list[JobRun] = []
    step_runs: list[StepRun] = []
    for job_name, job in spec.jobs.items():
        copies = list((kept or {}).get(job_name, ()))
        done = len(copies) == len(job.steps)
        job_deadline = None
        if job.timeout is not None and not done:
            job_deadline = now + timedelta(seconds=job.timeout)
        job_run = JobRun(
            id=new_id(),
            workflow_run_id=run.id,
            job_name=job_name,
            status=RunStatus.SUCCEEDED if done else RunStatus.RUNNING,
            deadline_at=job_deadline,
            created_at=now,
            started_at=now,
            finished_at=now if done else None,
        )
        job_runs.append(job_run)
        for index, step in enumerate(job.steps):
            if index < len(copies):
                step_runs.append(_copy(copies[index], job_run, now))
                continue
            first = index == len(copies)
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


def _copy(kept: StepRun, job_run: JobRun, now: datetime) -> StepRun:
    """A succeeded step run of an earlier run, as a step run of `job_run` that succeeded `now`."""
    return StepRun(
        id=new_id(),
        workflow_run_id=job_run.workflow_run_id,
        job_run_id=job_run.id,
        step_id=kept.step_id,
        step_index=kept.step_index,
        action=kept.action,
        attempt=1,
        status=StepRunStatus.SUCCEEDED,
        input=kept.input,
        output=kept.output,
        created_at=now,
        started_at=now,
        finished_at=now,
    )
