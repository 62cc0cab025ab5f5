"""Workflow runs and job runs: creating a run's tree, reading it back, guarded transitions."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, bindparam, insert, select
from sqlalchemy.exc import IntegrityError

from hatchetd.contracts.enums import RunStatus
from hatchetd.contracts.paging import Page
from hatchetd.contracts.runs import (
    JobRun,
    JobRunTrace,
    NewRun,
    RunChange,
    RunQuery,
    RunTrace,
    StepRun,
    WorkflowRun,
)
from hatchetd.store.errors import CronTickTaken, RunIdempotencyKeyTaken
from hatchetd.store.sql_base import (
    SqlBase,
    changed_fields,
    encode_cursor,
    id_prefix,
    newest_first,
    older_than,
    rows_by,
)
from hatchetd.store.sql_prepared import Prepared
from hatchetd.store.sql_step_runs import INSERT_STEP_RUN, STEP_RUN_COLUMNS, step_run_row
from hatchetd.store.tables import job_runs, step_runs, workflow_runs

RUN_COLUMNS = tuple(workflow_runs.c)
# `position` only orders a run's jobs; it is not part of the JobRun contract.
JOB_RUN_COLUMNS = tuple(c for c in job_runs.c if c.name != "position")

_INSERT_RUN = insert(workflow_runs)
_INSERT_JOB = insert(job_runs)
_RUN_BY_ID = Prepared(
    select(*RUN_COLUMNS).where(workflow_runs.c.id == bindparam("id")), RUN_COLUMNS
)
_RUN_BY_KEY = Prepared(
    select(*RUN_COLUMNS).where(workflow_runs.c.idempotency_key == bindparam("key")), RUN_COLUMNS
)
_RERUNS_OF = (
    select(workflow_runs.c.id)
    .where(workflow_runs.c.rerun_of_id == bindparam("id"))
    .order_by(workflow_runs.c.created_at, workflow_runs.c.id)
)
_JOB_BY_ID = Prepared(
    select(*JOB_RUN_COLUMNS).where(job_runs.c.id == bindparam("id")), JOB_RUN_COLUMNS
)
_JOBS_OF_RUN = Prepared(
    select(*JOB_RUN_COLUMNS)
    .where(job_runs.c.workflow_run_id == bindparam("id"))
    .order_by(job_runs.c.created_at, job_runs.c.position, job_runs.c.id),
    JOB_RUN_COLUMNS,
)
_STEPS_OF_RUN = Prepared(
    select(*STEP_RUN_COLUMNS)
    .where(step_runs.c.workflow_run_id == bindparam("id"))
    .order_by(step_runs.c.step_index, step_runs.c.attempt, step_runs.c.created_at),
    STEP_RUN_COLUMNS,
)
_TICK_TAKEN = select(workflow_runs.c.id).where(
    workflow_runs.c.workflow_name == bindparam("name"),
    workflow_runs.c.cron_tick_at == bindparam("tick", type_=workflow_runs.c.cron_tick_at.type),
)
_RESOLVE_LIMIT = 10


class RunsSql(SqlBase):
    """The workflow-run and job-run half of `SqlStore`."""

    def create_runs(self, runs: Sequence[NewRun]) -> None:
        """Store workflow runs with their job runs and step runs, all or none.

        Raises `CronTickTaken` if a CRON run for the same workflow and tick exists, and
        `RunIdempotencyKeyTaken` if a run with the same idempotency key does.
        """
        if not runs:
            return
        run_rows = [_run_row(new.run) for new in runs]
        job_rows = [
            _job_row(job, position) for new in runs for position, job in enumerate(new.job_runs)
        ]
        step_rows = [step_run_row(step) for new in runs for step in new.step_runs]
        ticks = [
            (new.run.workflow_name, new.run.cron_tick_at)
            for new in runs
            if new.run.cron_tick_at is not None
        ]
        keys = [new.run.idempotency_key for new in runs if new.run.idempotency_key is not None]
        try:
            # Only a cron tick or a key can clash in normal use: event runs need no savepoint.
            with self._writing(savepoint=bool(ticks or keys)) as conn:
                conn.execute(_INSERT_RUN, run_rows)
                if job_rows:
                    conn.execute(_INSERT_JOB, job_rows)
                if step_rows:
                    conn.execute(INSERT_STEP_RUN, step_rows)
        except IntegrityError as exc:
            # The driver's message names the index (PostgreSQL) or its columns (SQLite).
            if keys and "idempotency_key" in str(exc.orig):
                raise RunIdempotencyKeyTaken(self._taken_run_key(keys)) from exc
            if not ticks or "cron_tick" not in str(exc.orig):
                raise
            name, tick = self._taken_tick(ticks)
            raise CronTickTaken(name, tick.isoformat()) from exc
        for new in runs:
            self._written(new.run, *new.job_runs, *new.step_runs)

    def _taken_tick(self, ticks: list[tuple[str, datetime]]) -> tuple[str, datetime]:
        with self._reading() as conn:
            for name, tick in ticks:
                if conn.execute(_TICK_TAKEN, {"name": name, "tick": tick}).first() is not None:
                    return name, tick
        seen: set[tuple[str, datetime]] = set()
        for pair in ticks:  # not in the database: the same tick twice in one call
            if pair in seen:
                return pair
            seen.add(pair)
        return ticks[0]

    def _taken_run_key(self, keys: list[str]) -> str:
        for key in keys:
            if self.get_workflow_run_by_idempotency_key(key) is not None:
                return key
        seen: set[str] = set()
        for key in keys:  # not in the database: the same key twice in one call
            if key in seen:
                return key
            seen.add(key)
        return keys[0]

    def get_workflow_run(self, run_id: str) -> WorkflowRun | None:
        """One workflow run, without its tree."""
        with self._reading() as conn:
            row = _RUN_BY_ID.first(conn, {"id": run_id})
        return None if row is None else WorkflowRun.model_validate(row)

    def get_workflow_run_by_idempotency_key(self, key: str) -> WorkflowRun | None:
        """The run started with this idempotency key, if any."""
        with self._reading() as conn:
            row = _RUN_BY_KEY.first(conn, {"key": key})
        return None if row is None else WorkflowRun.model_validate(row)

    def get_run_trace(self, run_id: str) -> RunTrace | None:
        """A workflow run with its job runs in creation order, each with its step runs by
        step and then attempt: three queries whatever the size of the tree."""
        with self._reading(snapshot=True) as conn:
            run = _RUN_BY_ID.first(conn, {"id": run_id})
            if run is None:
                return None
            jobs = _JOBS_OF_RUN.all(conn, {"id": run_id})
            steps = rows_by(_STEPS_OF_RUN.all(conn, {"id": run_id}), "job_run_id")
            reruns = list(conn.execute(_RERUNS_OF, {"id": run_id}).scalars())
        return RunTrace.model_construct(
            run=WorkflowRun.model_validate(run),
            jobs=[
                JobRunTrace.model_construct(
                    job_run=JobRun.model_validate(job),
                    step_runs=[StepRun.model_validate(s) for s in steps.get(job["id"], ())],
                )
                for job in jobs
            ],
            rerun_ids=reruns,
        )

    def list_workflow_runs(self, query: RunQuery) -> Page[WorkflowRun]:
        """Workflow runs matching the query, newest first, one page at a time."""
        where: list[ColumnElement[bool]] = []
        if query.workflow_name is not None:
            where.append(workflow_runs.c.workflow_name == query.workflow_name)
        if query.statuses:
            where.append(workflow_runs.c.status.in_(query.statuses))
        if query.event_id is not None:
            where.append(workflow_runs.c.event_id == query.event_id)
        if query.since is not None:
            where.append(workflow_runs.c.created_at >= query.since)
        if query.until is not None:
            where.append(workflow_runs.c.created_at < query.until)
        if query.cursor is not None:
            where.append(older_than(workflow_runs, query.cursor))
        stmt = newest_first(select(workflow_runs).where(*where), workflow_runs, query.limit)
        with self._reading() as conn:
            rows = conn.execute(stmt).mappings().all()
        items = [WorkflowRun.model_validate(dict(row)) for row in rows[: query.limit]]
        more = len(rows) > query.limit
        cursor = encode_cursor(items[-1].created_at, items[-1].id) if more else None
        return Page[WorkflowRun].model_construct(items=items, next_cursor=cursor)

    def resolve_run_id(self, prefix: str) -> list[str]:
        """Full ids of the workflow runs whose id starts with `prefix` (at most ten)."""
        stmt = select(workflow_runs.c.id).where(id_prefix(workflow_runs, prefix))
        stmt = stmt.order_by(workflow_runs.c.id).limit(_RESOLVE_LIMIT)
        with self._reading() as conn:
            return list(conn.execute(stmt).scalars())

    def update_workflow_run(
        self, run_id: str, change: RunChange, *, from_statuses: Collection[RunStatus] = ()
    ) -> WorkflowRun | None:
        """Apply a transition if the run is in one of `from_statuses` (any, if empty)."""
        row = self._update_row(
            workflow_runs, RUN_COLUMNS, run_id, changed_fields(change), statuses=from_statuses
        )
        if row is None:
            return None
        run = WorkflowRun.model_validate(row)
        self._written(run)
        return run

    def get_job_run(self, job_run_id: str) -> JobRun | None:
        """One job run."""
        with self._reading() as conn:
            row = _JOB_BY_ID.first(conn, {"id": job_run_id})
        return None if row is None else JobRun.model_validate(row)

    def list_job_runs(self, workflow_run_id: str) -> list[JobRun]:
        """The job runs of a workflow run, in the order of the workflow's jobs."""
        with self._reading() as conn:
            rows = _JOBS_OF_RUN.all(conn, {"id": workflow_run_id})
        return [JobRun.model_validate(row) for row in rows]

    def update_job_run(
        self, job_run_id: str, change: RunChange, *, from_statuses: Collection[RunStatus] = ()
    ) -> JobRun | None:
        """Apply a transition if the job run is in one of `from_statuses` (any, if empty)."""
        row = self._update_row(
            job_runs, JOB_RUN_COLUMNS, job_run_id, changed_fields(change), statuses=from_statuses
        )
        if row is None:
            return None
        job_run = JobRun.model_validate(row)
        self._written(job_run)
        return job_run


def _run_row(run: WorkflowRun) -> dict[str, Any]:
    return {
        "id": run.id,
        "workflow_name": run.workflow_name,
        "workflow_version_id": run.workflow_version_id,
        "trigger": run.trigger,
        "event_id": run.event_id,
        "cron_tick_at": run.cron_tick_at,
        "input": run.input,
        "idempotency_key": run.idempotency_key,
        "rerun_of_id": run.rerun_of_id,
        "status": run.status,
        "error": run.error,
        "cancel_reason": run.cancel_reason,
        "created_at": run.created_at,
        "started_at": run.started_at,
        "finished_at": run.finished_at,
    }


def _job_row(job: JobRun, position: int) -> dict[str, Any]:
    return {
        "id": job.id,
        "workflow_run_id": job.workflow_run_id,
        "position": position,
        "job_name": job.job_name,
        "status": job.status,
        "error": job.error,
        "cancel_reason": job.cancel_reason,
        "deadline_at": job.deadline_at,
        "created_at": job.created_at,
        "started_at": job.started_at,
        "finished_at": job.finished_at,
    }
