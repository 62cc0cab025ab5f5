"""The deadline ticker: step timeouts, schedule timeouts, job timeouts and retry backoffs.

Every step run that can time out carries its `deadline_at` in the store, by state:

| state | `deadline_at` | when it passes |
|---|---|---|
| PENDING (a retry) | when its backoff is over | → PENDING_ASSIGNMENT |
| PENDING_ASSIGNMENT | created + `schedule_timeout` | CANCELLED `SCHEDULING_TIMED_OUT`, no retry |
| ASSIGNED | assigned + `timeout` | CANCELLED `TIMED_OUT`, retried |
| RUNNING | started + `timeout` | CANCELLED `TIMED_OUT`, retried |

Each is capped by its job's deadline (`JobState.cap`), and a running job always has one such
step run, so one indexed query per tick (`list_step_runs(statuses=…, deadline_before=now)`)
finds every deadline that has passed, the jobs' included, and the ticker keeps no timers of its
own: after a restart the deadlines are simply still in the store. When a job's deadline has
passed, the whole job times out (`JOB_TIMED_OUT`) whatever the step's own deadline says.

A step run whose worker is not connected (it disconnected, or the daemon restarted) is left to
the lease rather than its execution deadline: see `Timeouts._worker_connected`.
"""

from __future__ import annotations

from hatchetd.contracts.duration import format_duration
from hatchetd.contracts.enums import CancelReason, RunStatus, StepRunStatus
from hatchetd.contracts.runs import StepRun, StepRunChange
from hatchetd.contracts.worker_protocol import Cancel
from hatchetd.contracts.workers import CONNECTED
from hatchetd.engine.controller import HELD, Controller
from hatchetd.engine.effects import SendCancel
from hatchetd.engine.parts import EnginePart, Shared
from hatchetd.engine.retries import Retries, on_attempt
from hatchetd.engine.run_state import JobState, RunState

OPEN_STEP = (
    StepRunStatus.PENDING,
    StepRunStatus.PENDING_ASSIGNMENT,
    StepRunStatus.ASSIGNED,
    StepRunStatus.RUNNING,
)
"""A step run that is not final: the states with a deadline that can pass."""


class Timeouts(EnginePart):
    """Acts on the step and job deadlines that have passed."""

    def __init__(self, shared: Shared, *, controller: Controller, retries: Retries) -> None:
        super().__init__(shared)
        self._controller = controller
        self._retries = retries

    def check(self) -> int:
        """Act on every deadline passed by now; return how many step runs were due."""
        now = self._clock.now()
        due = self._store.list_step_runs(statuses=OPEN_STEP, deadline_before=now)
        timed_out_jobs: set[str] = set()
        for step in due:
            if step.job_run_id in timed_out_jobs:
                continue  # its job timed out a moment ago, taking this step run with it
            run = self._runs.get(step.workflow_run_id)
            if run is None:  # the run is over: there is nothing left to time out
                continue
            job = run.jobs[step.job_run_id]
            if job.status.is_final:
                continue
            if job.deadline_at is not None and job.deadline_at <= now:
                self._job_timed_out(run, job)
                timed_out_jobs.add(job.id)
            elif step.status is StepRunStatus.PENDING:
                self._retries.backoff_over(job, step)
            elif step.status is StepRunStatus.PENDING_ASSIGNMENT:
                self._scheduling_timed_out(job, step)
            elif self._worker_connected(step):
                self._step_timed_out(job, step)
        return len(due)

    def _worker_connected(self, step: StepRun) -> bool:
        """Whether the worker holding `step` is connected, here or to another live daemon.
        While it is not — it disconnected, or its daemon died or restarted — the lease
        decides, not the deadline: the worker may come back within it and re-send a result it
        computed in time; if it does not, the step is retried or fails with `WORKER_LOST`."""
        held = self._pool.assignment(step.id)
        if held is not None:
            return held.worker_id in self._pool.connected
        # Not this daemon's: read whether its worker and that worker's daemon are alive (a
        # read only for a step past its deadline).
        worker = self._store.get_worker(step.worker_id) if step.worker_id else None
        if worker is None or worker.status not in CONNECTED or worker.replica_id is None:
            return False
        replica = self._store.get_replica(worker.replica_id)
        return replica is not None and replica.alive_at(self._clock.now())

    def _step_timed_out(self, job: JobState, step: StepRun) -> None:
        """ASSIGNED or RUNNING past its execution deadline: CANCELLED `TIMED_OUT`, the worker
        told to stop (its slot is free from now), then a retry or the cascade."""
        reason = CancelReason.TIMED_OUT
        cancelled = self._store.update_step_run(
            step.id,
            StepRunChange(
                status=StepRunStatus.CANCELLED, cancel_reason=reason, finished_at=self._clock.now()
            ),
            from_statuses=HELD,
            attempt=step.attempt,
        )
        if cancelled is None:
            return
        self._tell_worker_to_stop(step, reason)
        timeout = format_duration(job.step(step.step_index).timeout)
        self._controller.attempt_ended(
            cancelled,
            f"step {step.step_id!r} timed out after {timeout}{on_attempt(step)} (TIMED_OUT)",
        )

    def _scheduling_timed_out(self, job: JobState, step: StepRun) -> None:
        """No worker took the step in time: CANCELLED `SCHEDULING_TIMED_OUT` and the cascade.
        Not retried: nothing ran, and another wait would most likely end the same way."""
        self._ready.discard(step.id)
        cancelled = self._store.update_step_run(
            step.id,
            StepRunChange(
                status=StepRunStatus.CANCELLED,
                cancel_reason=CancelReason.SCHEDULING_TIMED_OUT,
                finished_at=self._clock.now(),
            ),
            from_statuses=(StepRunStatus.PENDING_ASSIGNMENT,),
            attempt=step.attempt,
        )
        if cancelled is not None:
            waited = format_duration(job.step(step.step_index).schedule_timeout)
            self._controller.step_ended_badly(
                cancelled,
                f"step {step.step_id!r} waited {waited} for a worker with action "
                f"{step.action!r} (SCHEDULING_TIMED_OUT)",
            )

    def _job_timed_out(self, run: RunState, job: JobState) -> None:
        """The job's timeout ran out: every step run of it not yet final is CANCELLED
        `JOB_TIMED_OUT` (the workers running one told to stop), and the job FAILED."""
        now = self._clock.now()
        reason = CancelReason.JOB_TIMED_OUT
        for index, step_run_id in enumerate(job.step_run_ids):
            if job.step(index).id in job.outputs:
                continue  # it succeeded
            self._ready.discard(step_run_id)
            cancelled = self._store.update_step_run(
                step_run_id,
                StepRunChange(
                    status=StepRunStatus.CANCELLED, cancel_reason=reason, finished_at=now
                ),
                from_statuses=OPEN_STEP,
            )
            if cancelled is not None:
                self._tell_worker_to_stop(cancelled, reason)
        timeout = format_duration(job.spec.timeout or 0)
        self._controller.finish_job(
            run, job, RunStatus.FAILED, error=f"job timed out after {timeout} (JOB_TIMED_OUT)"
        )

    def _tell_worker_to_stop(self, step: StepRun, reason: CancelReason) -> None:
        """Free the slot of the worker `step` was assigned to, if it was, and send it a
        `cancel`: the SDK sets `ctx.cancelled` and cancels an async action. Whatever it sends
        back for this attempt is rejected."""
        self._pool.release(step.id)
        if step.worker_id is not None:
            message = Cancel(step_run_id=step.id, attempt=step.attempt, reason=reason)
            self._outbox.emit(SendCancel(step.worker_id, message))
