"""The dispatcher: gives waiting step runs to workers (design §8).

`dispatch` repeatedly asks the assignment rule (`assignment_rule.py`) for the next match between
the ready queue (`ready_queue.py`) and the worker pool (`pool.py`), claims the step run in the
store (a guarded update from PENDING_ASSIGNMENT, so a step run another daemon claimed first is
skipped), renders its `with:` and sends it to the worker.

A retry (attempt 2 and later) is not rendered again: it repeats the input its first attempt was
rendered to, which its step run carries from the moment it is created (`retries.py`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import timedelta

from hatchetd.contracts.enums import StepRunStatus
from hatchetd.contracts.runs import StepRunChange
from hatchetd.contracts.worker_protocol import Assign, TriggerEvent
from hatchetd.engine.assignment_rule import next_match
from hatchetd.engine.effects import SendAssign
from hatchetd.engine.parts import EnginePart, Shared
from hatchetd.engine.pool import Assignment
from hatchetd.engine.ready_queue import ReadyStep
from hatchetd.engine.run_state import EventInfo
from hatchetd.store import RunBusy
from hatchetd.templating import TemplateError, render_value

RenderFailed = Callable[[ReadyStep, str], None]
"""Called when a step's `with:` cannot be rendered: fails the step run and cascades."""


class Dispatcher(EnginePart):
    """Gives waiting step runs to connected workers and sends them their assignments."""

    def __init__(
        self,
        shared: Shared,
        *,
        on_render_failed: RenderFailed,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(shared)
        self._on_render_failed = on_render_failed
        self._environ = environ

    def dispatch(self) -> int:
        """Assign every waiting step run some worker can take now; return how many were."""
        assigned = 0
        busy: list[ReadyStep] = []
        while (match := next_match(self._ready, self._pool)) is not None:
            step, worker = match
            self._ready.take(step)
            try:
                assigned += self._assign(step, worker.id)
            except RunBusy:
                busy.append(step)
        for step in reversed(busy):  # another daemon is at its run: the next dispatch retries
            self._ready.push_front(step)
        return assigned

    def _assign(self, step: ReadyStep, worker_id: str) -> int:
        # Never waits for another daemon's lock on the run: two daemons dispatching the same
        # waiting steps in different orders would deadlock.
        run = self._runs.get(step.run_id, wait=False)
        if run is None:  # the run ended meanwhile; its step runs are final too
            return 0
        job = run.jobs[step.job_run_id]
        spec = job.step(step.step_index)
        data = run.template_data(job)
        now = self._clock.now()
        # The execution timeout counts from here until the worker says it started (then from
        # RUNNING): a step a worker took and never began cannot wait forever.
        deadline = job.cap(now + timedelta(seconds=spec.timeout))
        if step.attempt > 1:  # a retry repeats its first attempt's input, stored already
            rendered = step.input
            change = StepRunChange(
                status=StepRunStatus.ASSIGNED,
                worker_id=worker_id,
                assigned_at=now,
                deadline_at=deadline,
            )
        else:
            try:
                rendered = render_value(spec.with_, data, environ=self._environ)
            except TemplateError as exc:
                self._on_render_failed(step, str(exc))
                return 0
            change = StepRunChange(
                status=StepRunStatus.ASSIGNED,
                input=rendered,
                worker_id=worker_id,
                assigned_at=now,
                deadline_at=deadline,
            )
        updated = self._store.update_step_run(
            step.step_run_id, change, from_statuses=(StepRunStatus.PENDING_ASSIGNMENT,)
        )
        if updated is None:  # no longer waiting after all: nothing to send
            return 0
        self._pool.assign(
            Assignment(
                step.step_run_id,
                step.run_id,
                step.job_run_id,
                step.step_index,
                step.attempt,
                worker_id,
                spec.timeout,
                job.deadline_at,
                step.handed_back_by,
            )
        )
        message = Assign(
            step_run_id=step.step_run_id,
            attempt=step.attempt,
            workflow_run_id=step.run_id,
            action=step.action,
            input=rendered,
            step_outputs=data["steps"],
            timeout=spec.timeout,
            step_id=spec.id,
            workflow_name=run.workflow.version.workflow_name,
            event=_trigger(run.event),
        )
        self._outbox.emit(SendAssign(worker_id, message))
        return 1


def _trigger(event: EventInfo | None) -> TriggerEvent | None:
    """`ctx.event`, from the run's cached event: assigning reads nothing more."""
    if event is None:  # a cron run, or one started by hand
        return None
    return TriggerEvent(id=event.id, key=event.key, created_at=event.created_at)
