"""Reruns in the store: a run names the run it reruns, the original's trace lists its reruns
oldest first, and a database from before migration 6 upgraded with its runs intact."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import insert

from hatchetd.contracts.runs import NewRun
from hatchetd.contracts.workflows import WorkflowVersion
from hatchetd.store import Store, open_store
from hatchetd.store.migrations import MIGRATIONS
from hatchetd.store.sql_connect import make_engine, parse_url
from hatchetd.store.tables import workflow_runs
from tests.store.conftest import T0

MakeRun = Callable[..., NewRun]


def rerun_of(new_run: MakeRun, original: NewRun, after: timedelta) -> NewRun:
    """A run of the same version that reruns `original`, created `after` it."""
    new = new_run(created_at=original.run.created_at + after)
    return new.model_copy(
        update={"run": new.run.model_copy(update={"rerun_of_id": original.run.id})}
    )


def test_the_trace_links_a_rerun_to_its_original_both_ways(store: Store, new_run: MakeRun) -> None:
    original, bystander = new_run(), new_run()
    store.create_runs([original, bystander])
    second = rerun_of(new_run, original, timedelta(minutes=2))
    first = rerun_of(new_run, original, timedelta(minutes=1))
    store.create_runs([second, first])

    trace = store.get_run_trace(original.run.id)
    rerun = store.get_run_trace(first.run.id)

    assert trace is not None
    assert rerun is not None
    assert trace.run.rerun_of_id is None
    assert trace.rerun_ids == [first.run.id, second.run.id]  # oldest first
    assert rerun.run.rerun_of_id == original.run.id
    assert rerun.rerun_ids == []
    assert store.get_workflow_run(second.run.id) == second.run
    untouched = store.get_run_trace(bystander.run.id)
    assert untouched is not None
    assert untouched.rerun_ids == []


def test_runs_stored_before_migration_6_read_back_as_no_rerun(
    fresh_url: Callable[[], str],
    new_run: MakeRun,
    version: WorkflowVersion,
    open_stores: Callable[[str], Store],
) -> None:
    url = fresh_url()
    old = new_run(created_at=T0)
    before_6 = open_store(url, migrations=[m for m in MIGRATIONS if m.version < 6])
    try:
        before_6.save_workflow_version(version)
    finally:
        before_6.close()
    # As hatchetd wrote a run before the migration: without the column it adds.
    engine = make_engine(parse_url(url))
    try:
        with engine.begin() as conn:
            conn.execute(
                insert(workflow_runs).values(
                    old.run.model_dump(exclude={"rerun_of_id"}) | {"version": 0}
                )
            )
    finally:
        engine.dispose()

    upgraded = open_stores(url)
    read = upgraded.get_workflow_run(old.run.id)
    upgraded.create_runs([rerun_of(new_run, old, timedelta(seconds=1))])

    assert read == old.run
    trace = upgraded.get_run_trace(old.run.id)
    assert trace is not None
    assert len(trace.rerun_ids) == 1
