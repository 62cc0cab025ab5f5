"""Step runs and their log lines: what the dispatcher, the ticker and liveness ask about."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, bindparam, func, insert, select

from hatchetd.contracts.enums import StepRunStatus
from hatchetd.contracts.runs import RunStepLog, StepLog, StepRun, StepRunChange
from hatchetd.store.sql_base import SqlBase, changed_fields
from hatchetd.store.sql_prepared import Prepared
from hatchetd.store.tables import step_logs, step_runs

STEP_RUN_COLUMNS = tuple(step_runs.c)
INSERT_STEP_RUN = insert(step_runs)

_STEP_BY_ID = Prepared(
    select(*STEP_RUN_COLUMNS).where(step_runs.c.id == bindparam("id")), STEP_RUN_COLUMNS
)
_COUNT_BY_STATUS = select(step_runs.c.status, func.count()).group_by(step_runs.c.status)
_INSERT_LOG = insert(step_logs)
_LOGS_OF = (
    select(step_logs.c.step_run_id, step_logs.c.at, step_logs.c.line)
    .where(step_logs.c.step_run_id == bindparam("id"))
    .order_by(step_logs.c.id)
)


def step_run_row(step: StepRun) -> dict[str, Any]:
    """The row for a new step run."""
    return {
        "id": step.id,
        "workflow_run_id": step.workflow_run_id,
        "job_run_id": step.job_run_id,
        "step_id": step.step_id,
        "step_index": step.step_index,
        "action": step.action,
        "attempt": step.attempt,
        "status": step.status,
        "input": step.input,
        "output": step.output,
        "error": step.error,
        "cancel_reason": step.cancel_reason,
        "worker_id": step.worker_id,
        "deadline_at": step.deadline_at,
        "created_at": step.created_at,
        "assigned_at": step.assigned_at,
        "started_at": step.started_at,
        "finished_at": step.finished_at,
    }


class StepRunsSql(SqlBase):
    """The step-run half of `SqlStore`."""

    def create_step_runs(self, step_runs: Sequence[StepRun]) -> None:
        """Store new step runs: a job's next step, or another attempt of a step."""
        if step_runs:
            with self._writing() as conn:
                conn.execute(INSERT_STEP_RUN, [step_run_row(s) for s in step_runs])
            self._written(*step_runs)

    def get_step_run(self, step_run_id: str) -> StepRun | None:
        """One step run."""
        with self._reading() as conn:
            row = _STEP_BY_ID.first(conn, {"id": step_run_id})
        return None if row is None else StepRun.model_validate(row)

    def list_step_runs(
        self,
        *,
        statuses: Collection[StepRunStatus] = (),
        ids: Collection[str] | None = None,
        job_run_id: str | None = None,
        worker_id: str | None = None,
        action: str | None = None,
        deadline_before: datetime | None = None,
        limit: int | None = None,
    ) -> list[StepRun]:
        """Step runs matching every filter given, oldest first.

        `deadline_before` keeps those whose deadline is at or before that time: a deadline
        that has been reached has passed.
        """
        where: list[ColumnElement[bool]] = []
        if statuses:
            where.append(step_runs.c.status.in_(list(statuses)))
        if ids is not None:
            where.append(step_runs.c.id.in_(list(ids)))
        if job_run_id is not None:
            where.append(step_runs.c.job_run_id == job_run_id)
        if worker_id is not None:
            where.append(step_runs.c.worker_id == worker_id)
        if action is not None:
            where.append(step_runs.c.action == action)
        if deadline_before is not None:
            where.append(step_runs.c.deadline_at <= deadline_before)
        stmt = select(step_runs).where(*where).order_by(step_runs.c.created_at, step_runs.c.id)
        if limit is not None:
            stmt = stmt.limit(limit)
        with self._reading() as conn:
            rows = conn.execute(stmt).mappings().all()
        return [StepRun.model_validate(dict(row)) for row in rows]

    def update_step_run(
        self,
        step_run_id: str,
        change: StepRunChange,
        *,
        from_statuses: Collection[StepRunStatus] = (),
        attempt: int | None = None,
    ) -> StepRun | None:
        """Apply a transition if the step run is in one of `from_statuses` (any, if empty)
        and, when `attempt` is given, is that attempt; None when the guard did not hold."""
        row = self._update_row(
            step_runs,
            STEP_RUN_COLUMNS,
            step_run_id,
            changed_fields(change),
            statuses=from_statuses,
            attempt=attempt,
        )
        if row is None:
            return None
        step_run = StepRun.model_validate(row)
        self._written(step_run)
        return step_run

    def count_step_runs(self) -> dict[StepRunStatus, int]:
        """How many step runs are in each state (states with none are left out)."""
        with self._reading() as conn:
            return dict(conn.execute(_COUNT_BY_STATUS).all())

    def append_step_logs(self, logs: Sequence[RunStepLog]) -> None:
        """Store log lines a worker sent."""
        if logs:
            rows = [
                {"step_run_id": log.step_run_id, "at": log.at, "line": log.line} for log in logs
            ]
            with self._writing() as conn:
                conn.execute(_INSERT_LOG, rows)
            self._written(*logs)

    def list_step_logs(self, step_run_id: str) -> list[StepLog]:
        """A step run's log lines in the order they were stored."""
        with self._reading() as conn:
            rows = conn.execute(_LOGS_OF, {"id": step_run_id}).mappings().all()
        return [StepLog.model_validate(dict(row)) for row in rows]
