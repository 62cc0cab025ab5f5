"""The store's contract suite: every test runs once per backend (design §12).

`sqlite` uses a file in the test's tmp_path. `postgres` runs when HATCHET_TEST_DATABASE_URL names a
server; each test gets schemas of its own (`options=-csearch_path=…`), dropped when it ends, so
tests can run in parallel under xdist against one database.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest
from sqlalchemy import make_url

from hatchetd.contracts.enums import RunStatus, StepRunStatus, TriggerKind, WorkerStatus
from hatchetd.contracts.events import NewEvent
from hatchetd.contracts.ids import new_id
from hatchetd.contracts.runs import JobRun, NewRun, StepRun, WorkflowRun
from hatchetd.contracts.workers import Worker
from hatchetd.contracts.workflows import WorkflowVersion
from hatchetd.store import Store, open_store

PG_URL_VARIABLE = "HATCHET_TEST_DATABASE_URL"
PG_SKIPPED = f"{PG_URL_VARIABLE} is not set: PostgreSQL store tests skipped"

T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
"""A fixed start for every time the tests write, so expectations need no clock."""

BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param(
        "postgres",
        id="postgres",
        marks=[
            pytest.mark.postgres,
            pytest.mark.skipif(not os.environ.get(PG_URL_VARIABLE), reason=PG_SKIPPED),
        ],
    ),
]


def at(seconds: float) -> datetime:
    """T0 plus some seconds."""
    return T0 + timedelta(seconds=seconds)


class Databases:
    """Fresh, empty databases of one backend, removed when the test ends."""

    def __init__(self, backend: str, tmp_path: Path) -> None:
        self.backend = backend
        self._tmp_path = tmp_path
        self._schemas: list[str] = []

    def new_url(self) -> str:
        """The URL of a database nothing has touched yet."""
        if self.backend == "sqlite":
            return f"sqlite:///{self._tmp_path / uuid.uuid4().hex[:8] / 'hatchet.db'}"
        schema = f"hatchet_test_{uuid.uuid4().hex[:16]}"
        with psycopg.connect(admin_conninfo(), autocommit=True) as conn:
            conn.execute(f'CREATE SCHEMA "{schema}"')
        self._schemas.append(schema)
        url = make_url(os.environ[PG_URL_VARIABLE])
        url = url.update_query_dict({"options": f"-csearch_path={schema}"})
        return url.render_as_string(hide_password=False)

    def drop_all(self) -> None:
        """Drop every schema made for this test (its stores must be closed by now)."""
        if not self._schemas:
            return
        with psycopg.connect(admin_conninfo(), autocommit=True) as conn:
            for schema in self._schemas:
                conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


def admin_conninfo() -> str:
    """psycopg's connection string for the PostgreSQL of HATCHET_TEST_DATABASE_URL."""
    url = make_url(os.environ[PG_URL_VARIABLE]).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


@pytest.fixture(params=BACKENDS)
def databases(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Databases]:
    """Makes fresh databases of the backend under test."""
    made = Databases(request.param, tmp_path)
    yield made
    made.drop_all()


@pytest.fixture
def backend(databases: Databases) -> str:
    """`sqlite` or `postgres`."""
    return databases.backend


@pytest.fixture
def fresh_url(databases: Databases) -> Callable[[], str]:
    """Makes another fresh database of the backend under test: `fresh_url()`."""
    return databases.new_url


@pytest.fixture
def database_url(databases: Databases) -> str:
    """A fresh database for this test."""
    return databases.new_url()


@pytest.fixture
def open_stores() -> Iterator[Callable[[str], Store]]:
    """Opens stores that are all closed when the test ends, even when it fails."""
    opened: list[Store] = []

    def open_(url: str) -> Store:
        store = open_store(url)
        opened.append(store)
        return store

    yield open_
    for store in opened:
        store.close()


@pytest.fixture
def store(database_url: str, open_stores: Callable[[str], Store]) -> Store:
    """A store on a fresh, migrated database."""
    return open_stores(database_url)


# -- builders -------------------------------------------------------------------------------------


@pytest.fixture
def new_event() -> Callable[..., NewEvent]:
    """Builds an event: `new_event(key=…, created_at=…, data=…, …)`."""

    def build(**fields: Any) -> NewEvent:
        fields.setdefault("id", new_id())
        fields.setdefault("key", "user:create")
        fields.setdefault("created_at", T0)
        return NewEvent(**fields)

    return build


@pytest.fixture
def version(store: Store) -> WorkflowVersion:
    """A stored version of the workflow `sign-up`."""
    return store.save_workflow_version(
        WorkflowVersion(
            id="sha256:" + "a" * 64,
            workflow_name="sign-up",
            version="1.10",
            definition={"name": "sign-up", "jobs": {"greet": {"steps": [{"id": "greet"}]}}},
            file="sign-up.yaml",
            created_at=T0,
        )
    )


@pytest.fixture
def new_run(version: WorkflowVersion) -> Callable[..., NewRun]:
    """Builds a run of `version` with one job run per name in `jobs` and, in each, the first
    step run: `new_run(jobs=("a", "b"), created_at=…, event_id=…, cron_tick_at=…)`."""

    def build(
        *,
        jobs: tuple[str, ...] = ("greet",),
        created_at: datetime = T0,
        event_id: str | None = None,
        cron_tick_at: datetime | None = None,
        status: RunStatus = RunStatus.PENDING,
        workflow_version: WorkflowVersion = version,
    ) -> NewRun:
        run = WorkflowRun(
            id=new_id(),
            workflow_name=workflow_version.workflow_name,
            workflow_version_id=workflow_version.id,
            trigger=TriggerKind.CRON if cron_tick_at else TriggerKind.EVENT,
            event_id=event_id,
            cron_tick_at=cron_tick_at,
            status=status,
            created_at=created_at,
        )
        job_runs = [
            JobRun(id=new_id(), workflow_run_id=run.id, job_name=name, created_at=created_at)
            for name in jobs
        ]
        step_runs = [
            StepRun(
                id=new_id(),
                workflow_run_id=run.id,
                job_run_id=job.id,
                step_id=f"{job.job_name}-0",
                step_index=0,
                action="echo:echo",
                status=StepRunStatus.PENDING_ASSIGNMENT,
                created_at=created_at,
            )
            for job in job_runs
        ]
        return NewRun(run=run, job_runs=job_runs, step_runs=step_runs)

    return build


@pytest.fixture
def new_worker() -> Callable[..., Worker]:
    """Builds an ACTIVE worker: `new_worker(name=…, registered_at=…, status=…)`."""

    def build(**fields: Any) -> Worker:
        fields.setdefault("id", new_id())
        fields.setdefault("name", "billing")
        fields.setdefault("actions", ["echo:echo", "postmark:email-from-template"])
        fields.setdefault("slots", 4)
        fields.setdefault("status", WorkerStatus.ACTIVE)
        fields.setdefault("registered_at", T0)
        fields.setdefault("last_heartbeat_at", fields["registered_at"])
        return Worker(**fields)

    return build
