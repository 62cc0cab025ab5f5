"""Deadlines measure work, not outages: re-basing them when the daemon comes back.

While the daemon or its database is down, nothing can report a result, assign a step or start a
job. If deadlines kept counting through that time, a step that finished in 2 s of its 5 s timeout
while the daemon was down for 8 s would be failed `TIMED_OUT` on its return, its worker's
correct result refused. So on recovery every open deadline gets back the time it had left when
the outage began: `new = up_at + (deadline - down_at)`.

`down_at` is when the store last heard from the daemon (its replica's last renewal, or the first
failed commit of an outage the process lived through). A step or job that started after that —
its own timestamps say so — counts from its own start instead. A deadline that had already
passed when the outage began is left alone: it falls due at the next tick, as it would have.
"""

from __future__ import annotations

from datetime import datetime

from hatchetd.contracts.enums import RunStatus
from hatchetd.contracts.runs import JobRun, RunChange, StepRun, StepRunChange
from hatchetd.engine.timeouts import OPEN_STEP
from hatchetd.store import Store


def rebase_deadlines(store: Store, down_at: datetime, up_at: datetime) -> int:
    """Give every open step run and job run back the time it had left at `down_at`, counted
    from `up_at`; return how many deadlines moved. Call inside a batch."""
    if up_at <= down_at:
        return 0
    moved = 0
    jobs: set[str] = set()
    for step in store.list_step_runs(statuses=OPEN_STEP):
        jobs.add(step.job_run_id)
        new = _rebased(step.deadline_at, _last_change(step, down_at), up_at)
        if new is not None:
            changed = store.update_step_run(
                step.id,
                StepRunChange(deadline_at=new),
                from_statuses=(step.status,),
                attempt=step.attempt,
            )
            moved += changed is not None
    for job_run_id in sorted(jobs):
        job = store.get_job_run(job_run_id)
        if job is None or job.status is not RunStatus.RUNNING:
            continue
        new = _rebased(job.deadline_at, _job_started(job, down_at), up_at)
        if new is not None:
            changed_job = store.update_job_run(
                job.id, RunChange(deadline_at=new), from_statuses=(RunStatus.RUNNING,)
            )
            moved += changed_job is not None
    return moved


def _rebased(deadline: datetime | None, since: datetime, up_at: datetime) -> datetime | None:
    if deadline is None or deadline <= since:
        return None
    return up_at + (deadline - since)


def _last_change(step: StepRun, down_at: datetime) -> datetime:
    """When the outage began for this step run: `down_at`, or later if the step run changed
    after it (the store heard from the daemon then, whatever its replica row says)."""
    times = [down_at, step.created_at, step.assigned_at, step.started_at]
    return max(t for t in times if t is not None)


def _job_started(job: JobRun, down_at: datetime) -> datetime:
    times = [down_at, job.created_at, job.started_at]
    return max(t for t in times if t is not None)
