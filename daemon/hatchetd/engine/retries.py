"""Retries: another attempt at a step whose attempt failed, timed out or lost its worker.

`retries: N` allows up to N attempts after the first. Each attempt is a step run of its own —
same step, attempt number one higher — so the trace keeps every attempt with its own status,
error and worker, and a result from an older attempt can never land on a newer one.

The new attempt repeats the first attempt's rendered input: it is copied onto the new step run
when it is created, and not rendered again (the outputs and event it was rendered from have not
changed, and what a worker is asked to repeat should not depend on when it is asked). After a
failure or a timeout it backs off first: it waits PENDING, its `deadline_at` the time it may
run, and the ticker makes it PENDING_ASSIGNMENT when that time comes. After a lost worker it is
ready at once (the lease has already been waited out). A step that cannot be rendered, or that
no worker took in time, is not retried: it would end the same way.
"""

from __future__ import annotations

from datetime import timedelta

from hatchetd.contracts.enums import StepRunStatus
from hatchetd.contracts.ids import new_id
from hatchetd.contracts.runs import StepRun, StepRunChange
from hatchetd.engine.clock import Clock
from hatchetd.engine.ready_queue import ReadyQueue, ReadyStep
from hatchetd.engine.run_state import JobState
from hatchetd.store import Store

BACKOFF_BASE = 1.0
"""Seconds before the retry of a first attempt; each later retry waits twice as long."""
BACKOFF_CAP = 60.0
"""The longest a retry waits, however many attempts came before."""


def backoff_delay(attempt: int) -> float:
    """Seconds between the end of attempt `attempt` and the start of the next one:
    1, 2, 4, 8, 16, 32, then 60 from the seventh attempt on."""
    if attempt < 1:
        raise ValueError(f"attempts are numbered from 1, not {attempt}")
    # The exponent is bounded so that a very high attempt cannot overflow a float.
    return min(BACKOFF_BASE * 2.0 ** min(attempt - 1, 64), BACKOFF_CAP)


def on_attempt(ended: StepRun) -> str:
    """What a job's error adds about the attempt that ended it: nothing for a step without
    retries, ` on attempt 3 of 3` for the last attempt of one with two."""
    return "" if ended.attempt == 1 else f" on attempt {ended.attempt} of {ended.attempt}"


class Retries:
    """Creates the next attempt of a step and releases it when its backoff is over."""

    def __init__(self, store: Store, clock: Clock, ready: ReadyQueue) -> None:
        self._store = store
        self._clock = clock
        self._ready = ready

    @staticmethod
    def left(job: JobState, ended: StepRun) -> bool:
        """Whether the step of `ended` may have another attempt."""
        return ended.attempt <= job.step(ended.step_index).retries

    def next_attempt(self, job: JobState, ended: StepRun, *, at_once: bool = False) -> StepRun:
        """Store the attempt after `ended` and make it the job's current step run: PENDING
        until its backoff is over, or PENDING_ASSIGNMENT with its schedule deadline and queued
        for a worker when `at_once`."""
        now = self._clock.now()
        spec = job.step(ended.step_index)
        if at_once:
            status = StepRunStatus.PENDING_ASSIGNMENT
            deadline = job.cap(now + timedelta(seconds=spec.schedule_timeout))
        else:
            status = StepRunStatus.PENDING
            deadline = job.cap(now + timedelta(seconds=backoff_delay(ended.attempt)))
        attempt = StepRun(
            id=new_id(),
            workflow_run_id=ended.workflow_run_id,
            job_run_id=ended.job_run_id,
            step_id=ended.step_id,
            step_index=ended.step_index,
            action=ended.action,
            attempt=ended.attempt + 1,
            status=status,
            input=ended.input,
            deadline_at=deadline,
            created_at=now,
        )
        self._store.create_step_runs([attempt])
        job.step_run_ids[ended.step_index] = attempt.id
        if at_once:
            self._ready.push(ReadyStep.of(attempt))
        return attempt

    def backoff_over(self, job: JobState, waiting: StepRun) -> None:
        """A retry's backoff has passed: PENDING → PENDING_ASSIGNMENT, with the step's schedule
        deadline from now, and queued for a worker."""
        spec = job.step(waiting.step_index)
        now = self._clock.now()
        ready = self._store.update_step_run(
            waiting.id,
            StepRunChange(
                status=StepRunStatus.PENDING_ASSIGNMENT,
                deadline_at=job.cap(now + timedelta(seconds=spec.schedule_timeout)),
            ),
            from_statuses=(StepRunStatus.PENDING,),
            attempt=waiting.attempt,
        )
        if ready is not None:
            self._ready.push(ReadyStep.of(ready))
