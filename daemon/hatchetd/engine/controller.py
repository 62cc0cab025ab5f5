"""The state machine of design §5: what a worker's report or a cancellation does to a run.

Step run:  PENDING → PENDING_ASSIGNMENT → ASSIGNED → RUNNING → SUCCEEDED · FAILED · CANCELLED
Job run and workflow run:  RUNNING → SUCCEEDED · FAILED · CANCELLED

Every write is a guarded update (it holds only if the row is still in the state the engine
expects), so a late or repeated report changes nothing. Results are also fenced by attempt: a
result counts only for the attempt the step run is on, whichever worker connection sends it (a
worker that reconnected has a new identity and re-sends the results it kept).

An attempt that fails, times out or loses its worker is retried while the step has retries
left (`retries.py`): a new step run, attempt one higher, and the job and run stay RUNNING.
Otherwise the cascade follows: the later steps of the job are cancelled
(`PREVIOUS_STEP_FAILED`) and the job fails; a job that runs out of steps succeeds; a run is
final once all its jobs are: SUCCEEDED if all succeeded, FAILED otherwise. `cancel_run` is the
one way to a CANCELLED run.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any

from hatchetd.contracts.enums import CancelReason, RunStatus, StepRunStatus
from hatchetd.contracts.runs import RunChange, RunStepLog, StepRun, StepRunChange, WorkflowRun
from hatchetd.contracts.worker_protocol import Cancel
from hatchetd.engine.effects import SendCancel
from hatchetd.engine.errors import RunNotFound
from hatchetd.engine.parts import EnginePart, Shared
from hatchetd.engine.pool import Assignment
from hatchetd.engine.ready_queue import ReadyStep
from hatchetd.engine.retries import Retries, on_attempt
from hatchetd.engine.run_state import JobState, RunState

HELD = (StepRunStatus.ASSIGNED, StepRunStatus.RUNNING)
"""A worker holds the step run: results are accepted in these states only."""
WAITING = (StepRunStatus.PENDING, StepRunStatus.PENDING_ASSIGNMENT)
"""The step run has not reached a worker yet."""
OPEN_RUN = (RunStatus.PENDING, RunStatus.RUNNING)
"""A job run or workflow run that is not final."""


@dataclass(frozen=True)
class ResultOutcome:
    """Whether a worker's result was stored; the API answers the worker with it (`result_ack`)."""

    accepted: bool
    reason: str | None = None
    """Why it was not, e.g. `step run … is already CANCELLED (USER_CANCELLED)`."""


class Controller(EnginePart):
    """Moves step runs, job runs and workflow runs through their states."""

    def __init__(self, shared: Shared, *, retries: Retries) -> None:
        super().__init__(shared)
        self._retries = retries

    # -- what workers report ---------------------------------------------------------------------

    def step_started(self, worker_id: str, step_run_id: str, attempt: int) -> bool:
        """ASSIGNED → RUNNING; the execution timeout counts from now. False if the step run is
        not an assigned one on this attempt (nothing changes)."""
        now = self._clock.now()
        self._pool.heard(worker_id, now)
        held = self._pool.assignment(step_run_id)
        if held is None or held.attempt != attempt or worker_id in held.handed_back_by:
            return False
        if self._store.shared and self._runs.get(held.run_id) is None:
            return False  # another daemon ended the run
        timeout, job_deadline = held.timeout, held.job_deadline
        if timeout is None:  # an assignment rebuilt from the store: look the step up once
            run = self._runs.get(held.run_id)
            if run is None:
                return False
            job = run.jobs[held.job_run_id]
            timeout, job_deadline = job.step(held.step_index).timeout, job.deadline_at
        deadline = now + timedelta(seconds=timeout)
        if job_deadline is not None:  # a step never outlives its job (`JobState.cap`)
            deadline = min(deadline, job_deadline)
        started = self._store.update_step_run(
            step_run_id,
            StepRunChange(status=StepRunStatus.RUNNING, started_at=now, deadline_at=deadline),
            from_statuses=(StepRunStatus.ASSIGNED,),
            attempt=attempt,
        )
        return started is not None

    def step_completed(
        self, worker_id: str, step_run_id: str, attempt: int, output: Any
    ) -> ResultOutcome:
        """→ SUCCEEDED with `output`; then the job's next step is made ready, or the job
        succeeds if that was its last step."""
        now = self._clock.now()
        self._pool.heard(worker_id, now)
        if (refused := self._given_back(worker_id, step_run_id)) is not None:
            return refused
        self._lock_run_of(step_run_id)
        done = self._store.update_step_run(
            step_run_id,
            StepRunChange(status=StepRunStatus.SUCCEEDED, output=output, finished_at=now),
            from_statuses=HELD,
            attempt=attempt,
        )
        if done is None:
            return self._rejected(worker_id, step_run_id, attempt)
        self._pool.release(step_run_id)
        run = self._runs.get(done.workflow_run_id)
        if run is None:
            return ResultOutcome(accepted=True)
        job = run.jobs[done.job_run_id]
        job.outputs[done.step_id] = output
        following = done.step_index + 1
        if following < len(job.step_run_ids):
            self._make_ready(job, following)
        else:
            self.finish_job(run, job, RunStatus.SUCCEEDED)
        return ResultOutcome(accepted=True)

    def step_failed(
        self,
        worker_id: str,
        step_run_id: str,
        attempt: int,
        error: str,
        traceback: str | None = None,
    ) -> ResultOutcome:
        """→ FAILED with the error and its traceback; a retry after a backoff if the step has
        retries left, else the cascade."""
        now = self._clock.now()
        self._pool.heard(worker_id, now)
        if (refused := self._given_back(worker_id, step_run_id)) is not None:
            return refused
        self._lock_run_of(step_run_id)
        text = f"{error}\n\n{traceback.rstrip()}" if traceback else error
        failed = self._store.update_step_run(
            step_run_id,
            StepRunChange(status=StepRunStatus.FAILED, error=text, finished_at=now),
            from_statuses=HELD,
            attempt=attempt,
        )
        if failed is None:
            return self._rejected(worker_id, step_run_id, attempt)
        self._pool.release(step_run_id)
        self.attempt_ended(failed, f"step {failed.step_id!r} failed{on_attempt(failed)}: {error}")
        return ResultOutcome(accepted=True)

    def append_log(self, worker_id: str, step_run_id: str, attempt: int, line: str) -> bool:
        """Store a line the step logged; False (nothing stored) if there is no such step run."""
        now = self._clock.now()
        self._pool.heard(worker_id, now)
        if (assignment := self._pool.assignment(step_run_id)) is not None:
            run_id = assignment.run_id
        elif (step := self._store.get_step_run(step_run_id)) is not None:
            run_id = step.workflow_run_id
        else:
            return False
        log = RunStepLog(workflow_run_id=run_id, step_run_id=step_run_id, at=now, line=line)
        self._store.append_step_logs([log])
        return True

    # -- what the engine decides ------------------------------------------------------------------

    def render_failed(self, step: ReadyStep, error: str) -> None:
        """The step's `with:` could not be rendered: the step run fails with the error."""
        failed = self._store.update_step_run(
            step.step_run_id,
            StepRunChange(status=StepRunStatus.FAILED, error=error, finished_at=self._clock.now()),
            from_statuses=(StepRunStatus.PENDING_ASSIGNMENT,),
        )
        if failed is not None:  # not retried: it would fail the same way
            self.step_ended_badly(failed, f"step {failed.step_id!r} failed: {error}")

    def worker_lost(self, held: Assignment) -> None:
        """The worker holding a step run has been silent for a lease: the step run is
        cancelled (`WORKER_LOST`) and, if the step has retries left, retried at once (the
        lease has been waited out already); else the cascade follows."""
        self._pool.release(held.step_run_id)
        if self._store.shared:
            self._runs.get(held.run_id)  # lock the run before its rows
        lost = self._store.update_step_run(
            held.step_run_id,
            StepRunChange(
                status=StepRunStatus.CANCELLED,
                cancel_reason=CancelReason.WORKER_LOST,
                finished_at=self._clock.now(),
            ),
            from_statuses=HELD,
            attempt=held.attempt,
        )
        if lost is not None:
            self.attempt_ended(
                lost,
                f"step {lost.step_id!r} was cancelled{on_attempt(lost)}: "
                "its worker was lost (WORKER_LOST)",
                at_once=True,
            )

    def hand_back(self, worker_id: str, held: list[Assignment]) -> list[StepRun]:
        """A worker began draining: each of `held` it has not started (still ASSIGNED) waits
        for another worker again — the same step run and attempt, no worker, its slot free, a
        fresh schedule deadline — ahead of everything queued, in the order they were created.
        What it started stays with it. Returns the step runs handed back."""
        now = self._clock.now()
        back: list[tuple[StepRun, Assignment]] = []
        for assignment in held:
            run = self._runs.get(assignment.run_id)
            if run is None:  # the run is over, so is the step run
                continue
            job = run.jobs[assignment.job_run_id]
            wait = timedelta(seconds=job.step(assignment.step_index).schedule_timeout)
            waiting = self._store.update_step_run(
                assignment.step_run_id,
                StepRunChange(
                    status=StepRunStatus.PENDING_ASSIGNMENT,
                    worker_id=None,
                    assigned_at=None,
                    deadline_at=job.cap(now + wait),
                ),
                from_statuses=(StepRunStatus.ASSIGNED,),
                attempt=assignment.attempt,
            )
            if waiting is None:  # RUNNING: the worker said it started; it finishes it
                continue
            self._pool.release(assignment.step_run_id)
            back.append((waiting, assignment))
        back.sort(key=lambda pair: (pair[0].created_at, pair[0].id))
        for step, assignment in reversed(back):
            given_back = assignment.handed_back_by | {worker_id}
            self._ready.push_front(replace(ReadyStep.of(step), handed_back_by=given_back))
        return [step for step, _ in back]

    def cancel_run(self, run_id: str) -> WorkflowRun:
        """Cancel every step run not yet final (`USER_CANCELLED`), tell the workers running one
        to stop, and cancel the jobs and the run. A run already final is returned unchanged."""
        if self._store.shared:
            self._store.lock_run(run_id)  # the trace read next is then what it is
        trace = self._store.get_run_trace(run_id)
        if trace is None:
            raise RunNotFound(run_id)
        if trace.run.status.is_final:
            return trace.run
        now = self._clock.now()
        reason = CancelReason.USER_CANCELLED
        for job_trace in trace.jobs:
            for step in job_trace.step_runs:
                if step.status.is_final:
                    continue
                cancelled = self._store.update_step_run(
                    step.id,
                    StepRunChange(
                        status=StepRunStatus.CANCELLED, cancel_reason=reason, finished_at=now
                    ),
                    from_statuses=(step.status,),
                )
                if cancelled is None:
                    continue
                self._ready.discard(step.id)
                if step.status in HELD and step.worker_id is not None:
                    # The slot is free from now: the worker is told to stop, and whatever it
                    # sends back for this attempt will be rejected.
                    self._pool.release(step.id)
                    message = Cancel(step_run_id=step.id, attempt=step.attempt, reason=reason)
                    self._outbox.emit(SendCancel(step.worker_id, message))
            if not job_trace.job_run.status.is_final:
                self._store.update_job_run(
                    job_trace.job_run.id,
                    RunChange(status=RunStatus.CANCELLED, cancel_reason=reason, finished_at=now),
                    from_statuses=OPEN_RUN,
                )
        self._runs.forget(run_id)
        run = self._store.update_workflow_run(
            run_id,
            RunChange(status=RunStatus.CANCELLED, cancel_reason=reason, finished_at=now),
            from_statuses=OPEN_RUN,
        )
        return run if run is not None else trace.run

    # -- retries and the cascade ----------------------------------------------------------------

    def attempt_ended(self, ended: StepRun, job_error: str, *, at_once: bool = False) -> None:
        """An attempt failed, timed out or lost its worker: the next attempt if the step has
        retries left (after a backoff, or `at_once`), else the cascade with `job_error`."""
        run = self._runs.get(ended.workflow_run_id)
        if run is None:
            return
        job = run.jobs[ended.job_run_id]
        if self._retries.left(job, ended):
            self._retries.next_attempt(job, ended, at_once=at_once)
        else:
            self._cascade(run, job, ended.step_index, job_error)

    def step_ended_badly(self, ended: StepRun, job_error: str) -> None:
        """A step run failed or was cancelled for good (no retry): cancel the rest of its job
        and fail the job with `job_error`."""
        run = self._runs.get(ended.workflow_run_id)
        if run is not None:
            self._cascade(run, run.jobs[ended.job_run_id], ended.step_index, job_error)

    def _make_ready(self, job: JobState, index: int) -> None:
        step = job.step(index)
        now = self._clock.now()
        ready = self._store.update_step_run(
            job.step_run_ids[index],
            StepRunChange(
                status=StepRunStatus.PENDING_ASSIGNMENT,
                deadline_at=job.cap(now + timedelta(seconds=step.schedule_timeout)),
            ),
            from_statuses=(StepRunStatus.PENDING,),
        )
        if ready is not None:
            self._ready.push(ReadyStep.of(ready))

    def _cascade(self, run: RunState, job: JobState, index: int, job_error: str) -> None:
        now = self._clock.now()
        for later in job.step_run_ids[index + 1 :]:
            self._ready.discard(later)
            self._store.update_step_run(
                later,
                StepRunChange(
                    status=StepRunStatus.CANCELLED,
                    cancel_reason=CancelReason.PREVIOUS_STEP_FAILED,
                    finished_at=now,
                ),
                from_statuses=WAITING,
            )
        self.finish_job(run, job, RunStatus.FAILED, error=job_error)

    def finish_job(
        self, run: RunState, job: JobState, status: RunStatus, *, error: str | None = None
    ) -> None:
        """Make a job final, and its run too once every job of the run is."""
        now = self._clock.now()
        change = RunChange(status=status, finished_at=now)
        if error is not None:
            change = RunChange(status=status, error=error, finished_at=now)
        self._store.update_job_run(job.id, change, from_statuses=OPEN_RUN)
        job.status = status
        job.error = error
        if run.finished:
            self._finish_run(run)

    def _finish_run(self, run: RunState) -> None:
        now = self._clock.now()
        failure = run.first_failure()
        if failure is None:
            change = RunChange(status=RunStatus.SUCCEEDED, finished_at=now)
        else:
            error = f"job {failure.name!r} failed: {failure.error or failure.status.value}"
            change = RunChange(status=RunStatus.FAILED, error=error, finished_at=now)
        self._store.update_workflow_run(run.id, change, from_statuses=OPEN_RUN)
        self._runs.forget(run.id)

    def _lock_run_of(self, step_run_id: str) -> None:
        """On a shared store, lock the run of a step run before changing the step run: daemons
        take a run's locks in one order (the run first), so they cannot deadlock on it. The run
        is known from the assignment, or read (a result from a worker that reconnected)."""
        if not self._store.shared:
            return
        held = self._pool.assignment(step_run_id)
        if held is not None:
            self._runs.get(held.run_id)
        elif (step := self._store.get_step_run(step_run_id)) is not None:
            self._runs.get(step.workflow_run_id)

    def _given_back(self, worker_id: str, step_run_id: str) -> ResultOutcome | None:
        """A refusal if `worker_id` handed this step run back when it began draining (it said
        it had not started it, so it has no result of its own for it)."""
        held = self._pool.assignment(step_run_id)
        if held is None or worker_id not in held.handed_back_by:
            return None
        return ResultOutcome(
            accepted=False,
            reason=f"step run {step_run_id} was handed back when worker {worker_id} began "
            "draining; another worker has it",
        )

    def _rejected(self, worker_id: str, step_run_id: str, attempt: int) -> ResultOutcome:
        """Why a result was not accepted (reads, on this rare path only). A result for an
        attempt that was cancelled or superseded by a retry is work thrown away: the step run's
        log records it, so the user sees it beside the trace."""
        step = self._store.get_step_run(step_run_id)
        if step is None:
            return ResultOutcome(accepted=False, reason=f"there is no step run {step_run_id}")
        if step.attempt != attempt:
            return ResultOutcome(
                accepted=False,
                reason=f"attempt {attempt} of step run {step_run_id} is not current "
                f"(attempt {step.attempt} is)",
            )
        if not step.status.is_final:
            return ResultOutcome(
                accepted=False,
                reason=f"step run {step_run_id} is {step.status.value}, not assigned to a worker",
            )
        later = self._latest_attempt(step) if step.status is not StepRunStatus.SUCCEEDED else None
        if later is not None:
            why = f"attempt {attempt} was superseded by attempt {later.attempt}"
            reason = f"{why} (step run {later.id})"
        else:
            cause = f" ({step.cancel_reason.value})" if step.cancel_reason is not None else ""
            why = f"step run {step_run_id} is already {step.status.value}{cause}"
            reason = why
        if later is not None or step.status is StepRunStatus.CANCELLED:
            line = f"late result from worker {worker_id} rejected: {why}"
            log = RunStepLog(
                workflow_run_id=step.workflow_run_id,
                step_run_id=step_run_id,
                at=self._clock.now(),
                line=line,
            )
            self._store.append_step_logs([log])
        return ResultOutcome(accepted=False, reason=reason)

    def _latest_attempt(self, step: StepRun) -> StepRun | None:
        """The newest attempt of the same step, if it is newer than `step`."""
        attempts = [
            s
            for s in self._store.list_step_runs(job_run_id=step.job_run_id)
            if s.step_index == step.step_index and s.attempt > step.attempt
        ]
        return max(attempts, key=lambda s: s.attempt, default=None)
