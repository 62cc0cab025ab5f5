"""Reruns: a new run of an ended run's workflow version with its trigger and input, whole or
from its failed steps — the steps that succeeded are kept with their outputs, not run again."""

from __future__ import annotations

import textwrap

import pytest

from hatchetd.contracts.enums import RunStatus, StepRunStatus, TriggerKind
from hatchetd.contracts.runs import RunQuery
from hatchetd.engine import (
    IdempotencyConflict,
    NothingFailed,
    RunNotFinal,
    RunNotFound,
    StartOutcome,
)
from tests.engine.cron_helpers import at, cron_runs, cron_workflow, tick_until
from tests.engine.harness import Daemon, FakeWorker, one_step_workflow

PIPELINE = textwrap.dedent(
    """\
    name: pipeline
    triggers:
      events: [order:paid]
    jobs:
      ship:
        steps:
          - id: fetch
            action: echo:echo
            with: {order: "{{ .input.order }}"}
          - id: pack
            action: echo:echo
            with: {fetched: "{{ .steps.fetch.order }}", event: "{{ event.key }}"}
          - id: send
            action: echo:echo
            with: {packed: "{{ .steps.pack.fetched }}"}
      bill:
        steps:
          - id: charge
            action: echo:echo
            with: {order: "{{ .order }}"}
    """
)


def rerun(
    daemon: Daemon, run_id: str, *, from_failed: bool = False, key: str | None = None
) -> StartOutcome:
    return daemon.call(lambda e: e.rerun(run_id, from_failed=from_failed, idempotency_key=key))


def fail_pack(daemon: Daemon, worker: FakeWorker) -> str:
    """Push an order whose `pack` step fails; `bill` succeeds. Returns the ended run's id."""
    event = daemon.push("order:paid", {"order": "A-1"})
    (run_id,) = event.run_ids
    while batch := worker.assignments():
        for assign in batch:
            if assign.step_id == "pack":
                worker.started(assign)
                worker.failed(assign, "ValueError: box too small")
            else:
                worker.run(assign)
    assert daemon.trace(run_id).run.status is RunStatus.FAILED
    return run_id


def test_from_failed_keeps_the_succeeded_steps_and_starts_at_the_failed_one(
    daemon: Daemon,
) -> None:
    daemon.load(pipeline=PIPELINE)
    worker = daemon.connect()
    original_id = fail_pack(daemon, worker)
    original = daemon.steps(original_id)

    outcome = rerun(daemon, original_id, from_failed=True)

    run = outcome.run
    assert outcome.created
    assert run.rerun_of_id == original_id
    assert (run.trigger, run.event_id) == (
        TriggerKind.EVENT,
        daemon.trace(original_id).run.event_id,
    )
    steps = daemon.steps(run.id)
    assert steps["fetch"].status is StepRunStatus.SUCCEEDED
    assert steps["fetch"].output == original["fetch"].output == {"order": "A-1"}
    assert steps["fetch"].id != original["fetch"].id
    assert steps["charge"].status is StepRunStatus.SUCCEEDED  # its job succeeded: kept whole
    jobs = {j.job_run.job_name: j.job_run.status for j in daemon.trace(run.id).jobs}
    assert jobs == {"ship": RunStatus.RUNNING, "bill": RunStatus.SUCCEEDED}
    # Only the failed step is handed to a worker, with the kept output in its templates.
    (pack,) = worker.assignments()
    assert pack.step_id == "pack"
    assert pack.input == {"fetched": "A-1", "event": "order:paid"}
    worker.run(pack)
    (send,) = worker.assignments()
    assert send.input == {"packed": "A-1"}
    worker.run(send)
    assert worker.assignments() == []
    final = daemon.trace(run.id)
    assert final.run.status is RunStatus.SUCCEEDED
    assert daemon.trace(original_id).rerun_ids == [run.id]


def test_a_whole_rerun_runs_every_step_again_with_the_same_input(daemon: Daemon) -> None:
    daemon.load(pipeline=PIPELINE)
    worker = daemon.connect()
    original_id = fail_pack(daemon, worker)

    run = rerun(daemon, original_id).run

    assert [a.step_id for a in worker.assignments()] == ["fetch"]
    assert daemon.statuses(run.id) == {
        "fetch": StepRunStatus.ASSIGNED,
        "pack": StepRunStatus.PENDING,
        "send": StepRunStatus.PENDING,
        "charge": StepRunStatus.PENDING_ASSIGNMENT,  # one slot: waits for the worker
    }


def test_a_rerun_runs_the_original_version_after_the_file_changed(daemon: Daemon) -> None:
    daemon.load(greet=one_step_workflow(with_="{message: 'v1 {{ .input.name }}'}"))
    worker = daemon.connect()
    (run_id,) = daemon.push("user:create", {"name": "ada"}).run_ids
    worker.run_all()
    daemon.load(greet=one_step_workflow(with_="{message: 'v2 {{ .input.name }}'}"))

    run = rerun(daemon, run_id).run

    assert run.workflow_version_id == daemon.trace(run_id).run.workflow_version_id
    (assign,) = worker.assignments()
    assert assign.input == {"message": "v1 ada"}


def test_a_rerun_after_a_restart_goes_on_from_the_store(daemon: Daemon) -> None:
    daemon.load(pipeline=PIPELINE)
    worker = daemon.connect()
    original_id = fail_pack(daemon, worker)
    worker.disconnect()
    run = rerun(daemon, original_id, from_failed=True).run

    again = daemon.restart()
    worker = again.connect()
    (pack,) = worker.assignments()
    worker.run(pack)
    worker.run_all()

    assert again.trace(run.id).run.status is RunStatus.SUCCEEDED


def test_a_manual_run_is_rerun_with_its_input(daemon: Daemon) -> None:
    daemon.load(greet=one_step_workflow())
    worker = daemon.connect()
    original = daemon.call(lambda e: e.start_run("greet", {"name": "bo"}, idempotency_key="k"))
    worker.run_all()

    run = rerun(daemon, original.run.id).run

    assert (run.trigger, run.input, run.idempotency_key) == (
        TriggerKind.MANUAL,
        {"name": "bo"},
        None,
    )
    (assign,) = worker.assignments()
    assert assign.input == {"message": "Hello bo"}


def test_what_cannot_be_rerun_is_refused_before_anything_is_written(daemon: Daemon) -> None:
    daemon.load(greet=one_step_workflow())
    (running,) = daemon.push("user:create", {"name": "x"}).run_ids
    worker = daemon.connect()
    (assign,) = worker.assignments()
    before = len(daemon.store.list_workflow_runs(RunQuery()).items)

    with pytest.raises(RunNotFound):
        rerun(daemon, "no-such-run")
    with pytest.raises(RunNotFinal, match="is RUNNING"):
        rerun(daemon, running)
    worker.run(assign)
    with pytest.raises(NothingFailed, match="no failed or cancelled step"):
        rerun(daemon, running, from_failed=True)

    assert daemon.trace(running).rerun_ids == []
    assert before == 1


def test_an_idempotency_key_starts_one_rerun(daemon: Daemon) -> None:
    daemon.load(greet=one_step_workflow())
    worker = daemon.connect()
    (first,) = daemon.push("user:create", {"name": "x"}).run_ids
    (second,) = daemon.push("user:create", {"name": "y"}).run_ids
    worker.run_all()

    one = rerun(daemon, first, key="again-1")
    same = rerun(daemon, first, key="again-1")

    assert (one.created, same.created, same.run.id) == (True, False, one.run.id)
    assert daemon.trace(first).rerun_ids == [one.run.id]
    with pytest.raises(IdempotencyConflict, match=f"not a rerun of run {second}"):
        rerun(daemon, second, key="again-1")


def test_a_cron_run_is_rerun_as_cron_without_a_tick_of_its_own(daemon: Daemon) -> None:
    daemon.load(nightly=cron_workflow(crons=["*/15 * * * *"]))
    worker = daemon.connect()
    tick_until(daemon, at(12, 15), workers=[worker])
    (fired,) = cron_runs(daemon)
    worker.run_all()

    run = rerun(daemon, fired.id).run
    tick_until(
        daemon, at(12, 29), workers=[worker]
    )  # the ticker does not count the rerun as a tick

    assert (run.trigger, run.cron_tick_at, run.rerun_of_id) == (TriggerKind.CRON, None, fired.id)
    (assign,) = worker.assignments()
    assert assign.input == {"message": "hello"}
    assert {r.id: r.cron_tick_at for r in cron_runs(daemon)} == {fired.id: at(12, 15), run.id: None}


def test_each_failed_parallel_job_starts_at_its_own_failed_step(daemon: Daemon) -> None:
    daemon.load(pipeline=PIPELINE)
    worker = daemon.connect(slots=2)
    (original_id,) = daemon.push("order:paid", {"order": "B-2"}).run_ids
    while batch := worker.assignments():
        for assign in batch:
            worker.started(assign)
            if assign.step_id in ("pack", "charge"):
                worker.failed(assign, "RuntimeError: down")
            else:
                worker.completed(assign, assign.input)

    run = rerun(daemon, original_id, from_failed=True).run

    first = worker.assignments()
    assert sorted(a.step_id or "" for a in first) == ["charge", "pack"]
    assert daemon.statuses(run.id) == {
        "fetch": StepRunStatus.SUCCEEDED,
        "pack": StepRunStatus.ASSIGNED,
        "send": StepRunStatus.PENDING,
        "charge": StepRunStatus.ASSIGNED,
    }
    for assign in first:
        worker.run(assign)
    worker.run_all()
    assert daemon.trace(run.id).run.status is RunStatus.SUCCEEDED
