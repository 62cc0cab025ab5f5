"""Runs started by hand: their input kept as sent, their idempotency key naming one run, and a
database from before migration 5 upgraded with its runs intact."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import insert

from hatchetd.contracts.enums import TriggerKind
from hatchetd.contracts.runs import NewRun, RunQuery
from hatchetd.contracts.workflows import WorkflowVersion
from hatchetd.store import RunIdempotencyKeyTaken, Store, open_store
from hatchetd.store.migrations import MIGRATIONS
from hatchetd.store.sql_connect import make_engine, parse_url
from hatchetd.store.tables import workflow_runs

MakeRun = Callable[..., NewRun]
INPUT = {"day": "2026-12-04", "b": 1, "a": {"z": [1.5, None], "y": "ü"}}


def manual(new_run: MakeRun, input: dict[str, Any] | None, key: str | None = None) -> NewRun:
    """A run of the `sign-up` version started by hand with `input` and idempotency `key`."""
    new = new_run()
    run = new.run.model_copy(
        update={"trigger": TriggerKind.MANUAL, "input": input, "idempotency_key": key}
    )
    return new.model_copy(update={"run": run})


def test_a_manual_run_keeps_its_input_as_sent(store: Store, new_run: MakeRun) -> None:
    started, by_event = manual(new_run, INPUT), new_run()

    store.create_runs([started, by_event])

    read = store.get_workflow_run(started.run.id)
    assert read == started.run
    assert read is not None
    assert read.trigger is TriggerKind.MANUAL
    assert list(read.input or {}) == ["day", "b", "a"]  # the order it was sent in
    assert list((read.input or {})["a"]) == ["z", "y"]
    trace = store.get_run_trace(started.run.id)
    assert trace is not None
    assert trace.run.input == INPUT
    listed = {run.id: run for run in store.list_workflow_runs(RunQuery()).items}
    assert listed[started.run.id].input == INPUT
    assert listed[by_event.run.id].input is None
    assert listed[by_event.run.id].idempotency_key is None


def test_an_empty_input_is_kept_apart_from_none(store: Store, new_run: MakeRun) -> None:
    empty = manual(new_run, {})

    store.create_runs([empty])

    read = store.get_workflow_run(empty.run.id)
    assert read is not None
    assert read.input == {}


def test_an_idempotency_key_names_one_run(store: Store, new_run: MakeRun) -> None:
    first = manual(new_run, {"n": 1}, key="nightly-2026-12-04")
    store.create_runs([first])
    again, innocent = manual(new_run, {"n": 1}, key="nightly-2026-12-04"), new_run()

    with pytest.raises(RunIdempotencyKeyTaken) as raised:
        store.create_runs([innocent, again])

    assert raised.value.key == "nightly-2026-12-04"
    assert store.get_workflow_run(innocent.run.id) is None  # all or none
    assert store.get_workflow_run(again.run.id) is None
    assert store.get_workflow_run_by_idempotency_key("nightly-2026-12-04") == first.run
    assert store.get_workflow_run_by_idempotency_key("other") is None


def test_the_same_key_twice_in_one_call_is_refused(store: Store, new_run: MakeRun) -> None:
    one, two = manual(new_run, {}, key="twice"), manual(new_run, {}, key="twice")

    with pytest.raises(RunIdempotencyKeyTaken, match="'twice'"):
        store.create_runs([one, two])

    assert store.get_workflow_run_by_idempotency_key("twice") is None


def test_a_taken_run_key_leaves_the_batch_usable(store: Store, new_run: MakeRun) -> None:
    store.create_runs([manual(new_run, {}, key="taken")])
    before, after = new_run(), new_run()

    with store.batch():
        store.create_runs([before])
        with pytest.raises(RunIdempotencyKeyTaken):
            store.create_runs([manual(new_run, {}, key="taken")])
        store.create_runs([after])

    assert store.get_workflow_run(before.run.id) is not None
    assert store.get_workflow_run(after.run.id) is not None


def test_runs_stored_before_migration_5_read_back_without_input(
    fresh_url: Callable[[], str],
    new_run: MakeRun,
    version: WorkflowVersion,
    open_stores: Callable[[str], Store],
) -> None:
    url = fresh_url()
    old = new_run()
    before_5 = open_store(url, migrations=[m for m in MIGRATIONS if m.version < 5])
    try:
        before_5.save_workflow_version(version)
    finally:
        before_5.close()
    # As hatchetd wrote a run before the migration: without the columns it adds.
    engine = make_engine(parse_url(url))
    try:
        with engine.begin() as conn:
            conn.execute(
                insert(workflow_runs).values(
                    old.run.model_dump(exclude={"input", "idempotency_key", "rerun_of_id"})
                    | {"version": 0}
                )
            )
    finally:
        engine.dispose()

    upgraded = open_stores(url)
    read = upgraded.get_workflow_run(old.run.id)
    upgraded.create_runs([manual(new_run, {"n": 1}, key="after")])

    assert read == old.run
    assert read is not None
    assert (read.input, read.idempotency_key) == (None, None)
    assert upgraded.get_workflow_run_by_idempotency_key("after") is not None
