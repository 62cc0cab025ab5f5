"""The one seam between what the engine wants and how a database does it.

Every method speaks the domain's words and takes and returns `hatchetd.contracts` models; no
SQLAlchemy type crosses this line. Ids and times are decided by the caller (the engine has the
clock), which keeps the store free of policy and the tests deterministic.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator, Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Protocol

from hatchetd.contracts.enums import RunStatus, StepRunStatus, WorkerStatus
from hatchetd.contracts.events import Event, EventQuery, NewEvent
from hatchetd.contracts.paging import Page
from hatchetd.contracts.replicas import Replica
from hatchetd.contracts.runs import (
    JobRun,
    NewRun,
    RunChange,
    RunQuery,
    RunStepLog,
    RunTrace,
    StepLog,
    StepRun,
    StepRunChange,
    WorkflowRun,
)
from hatchetd.contracts.workers import Worker
from hatchetd.contracts.workflows import Workflow, WorkflowVersion

Written = Event | WorkflowRun | JobRun | StepRun | Worker | Workflow | RunStepLog
"""A record as a write left it: what `Store.observe` callbacks receive."""

NOTIFY_LIMIT = 7900
"""Bytes a `Store.notify` payload may hold (PostgreSQL allows 8,000, less a margin)."""


class Leadership(Protocol):
    """Whether this daemon leads now."""

    def try_lead(self) -> bool:
        """Take or keep the leadership; True while this daemon has it. Never raises: a
        database that cannot be reached means not leading."""
        ...

    def close(self) -> None:
        """Give the leadership up."""
        ...


class Store(Protocol):
    """Durable state of the daemon: events, workflow versions, runs and workers."""

    # -- transactions -------------------------------------------------------------------------

    def batch(self) -> AbstractContextManager[None]:
        """Group every call made inside the block into one transaction and one commit.

        The daemon uses this to acknowledge many pushes and many results with one fsync.
        Outside a batch each write method commits on its own. Batches do not nest: a call to
        `batch()` inside a batch joins the outer one. An exception rolls the whole batch back.
        """
        ...

    def close(self) -> None:
        """Release every connection."""
        ...

    def observe(self, callback: Callable[[Written], None]) -> None:
        """Call `callback` with every event, run, job run, step run, worker, workflow and log
        line this store creates or changes, as written, when it writes it (the daemon's change
        stream).

        Inside a batch the write is not yet committed: the caller decides what a rollback means.
        A guarded update whose guard did not hold wrote nothing and is not reported.
        """
        ...

    # -- events -------------------------------------------------------------------------------

    def create_events(self, events: Sequence[NewEvent]) -> list[Event]:
        """Store events; durable once the call (or the enclosing batch) returns.

        Raises `IdempotencyKeyTaken` if an idempotency key is already used, storing none.
        """
        ...

    def get_event(self, event_id: str) -> Event | None:
        """One event with the runs it triggered and the events that replay it."""
        ...

    def get_event_by_idempotency_key(self, key: str) -> Event | None:
        """The event pushed with this idempotency key, if any."""
        ...

    def list_events(self, query: EventQuery) -> Page[Event]:
        """Events matching the query, newest first, one page at a time.

        Every filter, `where` on the payload included, is applied before paging, so a page is
        full unless it is the last and `limit` counts matching events only.
        """
        ...

    def resolve_event_id(self, prefix: str) -> list[str]:
        """Full ids of the events whose id starts with `prefix` (at most a few)."""
        ...

    # -- workflows ----------------------------------------------------------------------------

    def save_workflow_version(self, version: WorkflowVersion) -> WorkflowVersion:
        """Store a version unless one with its checksum exists; return the stored one."""
        ...

    def get_workflow_version(self, version_id: str) -> WorkflowVersion | None:
        """One version by checksum."""
        ...

    def list_workflow_versions(self, workflow_name: str) -> list[WorkflowVersion]:
        """Every version of a workflow, oldest first."""
        ...

    def save_workflow(self, workflow: Workflow) -> None:
        """Create or replace the workflow of that name (its current version and active flag)."""
        ...

    def get_workflow(self, name: str) -> Workflow | None:
        """One workflow by name."""
        ...

    def list_workflows(self) -> list[Workflow]:
        """Every workflow ever loaded, active or not, by name."""
        ...

    # -- runs ---------------------------------------------------------------------------------

    def create_runs(self, runs: Sequence[NewRun]) -> None:
        """Store workflow runs with their job runs and step runs.

        Raises `CronTickTaken` if a CRON run for the same workflow and tick exists, and
        `RunIdempotencyKeyTaken` if a run with the same idempotency key does, storing none.
        """
        ...

    def get_workflow_run(self, run_id: str) -> WorkflowRun | None:
        """One workflow run, without its tree."""
        ...

    def get_workflow_run_by_idempotency_key(self, key: str) -> WorkflowRun | None:
        """The run started with this idempotency key, if any."""
        ...

    def get_run_trace(self, run_id: str) -> RunTrace | None:
        """A workflow run with every job run and step run, in order."""
        ...

    def list_workflow_runs(self, query: RunQuery) -> Page[WorkflowRun]:
        """Workflow runs matching the query, newest first, one page at a time."""
        ...

    def resolve_run_id(self, prefix: str) -> list[str]:
        """Full ids of the workflow runs whose id starts with `prefix` (at most a few)."""
        ...

    def update_workflow_run(
        self, run_id: str, change: RunChange, *, from_statuses: Collection[RunStatus] = ()
    ) -> WorkflowRun | None:
        """Apply a transition if the run is in one of `from_statuses` (any, if empty).

        Returns the updated run, or None when the run is missing or the guard did not hold.
        """
        ...

    def get_job_run(self, job_run_id: str) -> JobRun | None:
        """One job run."""
        ...

    def list_job_runs(self, workflow_run_id: str) -> list[JobRun]:
        """The job runs of a workflow run, in the order of the workflow's jobs."""
        ...

    def update_job_run(
        self, job_run_id: str, change: RunChange, *, from_statuses: Collection[RunStatus] = ()
    ) -> JobRun | None:
        """Apply a transition if the job run is in one of `from_statuses` (any, if empty)."""
        ...

    def create_step_runs(self, step_runs: Sequence[StepRun]) -> None:
        """Store new step runs: a job's next step, or another attempt of a step."""
        ...

    def get_step_run(self, step_run_id: str) -> StepRun | None:
        """One step run."""
        ...

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

        This is what the dispatcher (waiting work by action), the ticker (deadlines passed) and
        liveness (a worker's running steps) ask.
        """
        ...

    def update_step_run(
        self,
        step_run_id: str,
        change: StepRunChange,
        *,
        from_statuses: Collection[StepRunStatus] = (),
        attempt: int | None = None,
    ) -> StepRun | None:
        """Apply a transition if the step run is in one of `from_statuses` (any, if empty) and,
        when `attempt` is given, is that attempt (fencing off results from older attempts).

        Returns the updated step run, or None when it is missing or the guard did not hold.
        """
        ...

    def count_step_runs(self) -> dict[StepRunStatus, int]:
        """How many step runs are in each state (states with none are left out)."""
        ...

    def append_step_logs(self, logs: Sequence[RunStepLog]) -> None:
        """Store log lines a worker sent (the store keeps each line's step run, time and text;
        the run it names is for the observers)."""
        ...

    def list_step_logs(self, step_run_id: str) -> list[StepLog]:
        """A step run's log lines in the order they were stored."""
        ...

    # -- workers ------------------------------------------------------------------------------

    def save_worker(self, worker: Worker) -> None:
        """Create or replace a worker."""
        ...

    def get_worker(self, worker_id: str) -> Worker | None:
        """One worker."""
        ...

    def list_workers(self, *, statuses: Collection[WorkerStatus] = ()) -> list[Worker]:
        """Workers in one of `statuses` (all, if empty), newest registration first."""
        ...

    def record_heartbeat(self, worker_id: str, at: datetime) -> bool:
        """Note that a connected (ACTIVE or DRAINING) worker was heard from; False if it is
        unknown or gone."""
        ...

    def set_worker_status(
        self, worker_id: str, status: WorkerStatus, *, from_statuses: Collection[WorkerStatus] = ()
    ) -> Worker | None:
        """Change a worker's status if it is in one of `from_statuses` (any, if empty)."""
        ...

    def free_space(self) -> int | None:
        """Bytes free on the database's disk when the store can see it (a SQLite file), else
        None."""
        ...

    # -- replicas -----------------------------------------------------------------------------

    def register_replica(self, replica: Replica) -> None:
        """Record a starting hatchetd process."""
        ...

    def renew_replica(self, replica_id: str, at: datetime, commit_seq: int) -> bool:
        """Renew a replica's lease and record how many batches it has committed; False if it
        is unknown. Always a write: after an outage it proves the database takes writes."""
        ...

    def stop_replica(self, replica_id: str, at: datetime) -> None:
        """Mark a replica as stopped cleanly at `at`."""
        ...

    def get_replica(self, replica_id: str) -> Replica | None:
        """One replica."""
        ...

    def list_replicas(self) -> list[Replica]:
        """Every replica that has served this store, most recently renewed first."""
        ...

    # -- several daemons on one database ---------------------------------------------------------

    @property
    def shared(self) -> bool:
        """Whether other daemons may serve this database at the same time (PostgreSQL)."""
        ...

    def lock_run(self, run_id: str, *, wait: bool = True) -> int | None:
        """Lock a run that is not final for the rest of the transaction and return its version,
        bumped once per transaction; None if there is no such run or it is final. Taken before
        any other row of the run is changed, so that daemons lock in one order. With
        `wait=False`, `RunBusy` instead of waiting for another daemon's lock."""
        ...

    def notify(self, payloads: Sequence[str]) -> None:
        """Tell the other daemons on this database; inside a batch they hear it at its commit,
        in commit order. Each payload fits `NOTIFY_LIMIT` bytes. Nothing when the store is not
        shared."""
        ...

    def listen(self, on_payload: Callable[[str | None], None]) -> Callable[[], None]:
        """Call `on_payload` on a thread of its own with what other daemons `notify`, and with
        None whenever something may have been missed; returns the function that stops it."""
        ...

    def leadership(self) -> Leadership:
        """Who runs the store-wide chores: an advisory lock on PostgreSQL, always this daemon
        on SQLite."""
        ...

    def list_silent_holds(self, cutoff: datetime, replica_id: str) -> list[StepRun]:
        """Step runs held by workers not connected to `replica_id` whose last recorded
        heartbeat is before `cutoff`."""
        ...


def iter_pages(store: Store, query: EventQuery) -> Iterator[Event]:
    """Every event matching `query`, page after page (for bulk replay and exports)."""
    page = store.list_events(query)
    while True:
        yield from page.items
        if page.next_cursor is None:
            return
        page = store.list_events(query.model_copy(update={"cursor": page.next_cursor}))
