"""`retries: N`: up to N more attempts after a failure, each a step run of its own."""

from __future__ import annotations

import textwrap

from hatchetd.contracts.enums import CancelReason, RunStatus, StepRunStatus
from tests.engine.harness import Daemon, FakeWorker


def charge_workflow(retries: int, with_: str = "{card: '{{ .input.card }}'}") -> str:
    return textwrap.dedent(
        f"""\
        name: charge
        on: [order:placed]
        jobs:
          billing:
            steps:
              - id: charge
                action: billing:charge
                retries: {retries}
                with: {with_}
              - id: receipt
                action: billing:receipt
                with: {{charged: '{{{{ .steps.charge.ok }}}}'}}
        """
    )


def placed(daemon: Daemon, retries: int) -> tuple[FakeWorker, str]:
    daemon.load(charge=charge_workflow(retries))
    worker = daemon.connect(actions=["billing:charge", "billing:receipt"])
    run_id = daemon.push("order:placed", {"card": "4242"}).run_ids[0]
    return worker, run_id


def test_a_failed_attempt_is_retried_as_a_new_step_run_and_each_attempt_is_kept(
    daemon: Daemon,
) -> None:
    worker, run_id = placed(daemon, retries=2)

    (first,) = worker.assignments()
    worker.started(first)
    worker.failed(first, "TimeoutError: gateway", "Traceback: ...")
    assert daemon.trace(run_id).run.status is RunStatus.RUNNING  # a retry is pending
    daemon.pass_time(1)
    (second,) = worker.assignments()
    worker.started(second)
    worker.failed(second, "TimeoutError: gateway again")
    daemon.pass_time(2)
    (third,) = worker.assignments()
    worker.run(third, {"ok": True})

    assert [a.attempt for a in (first, second, third)] == [1, 2, 3]  # what ctx.attempt says
    assert len({first.step_run_id, second.step_run_id, third.step_run_id}) == 3
    attempts = daemon.attempts(run_id, "charge")
    assert [(s.attempt, s.status, s.error) for s in attempts] == [
        (1, StepRunStatus.FAILED, "TimeoutError: gateway\n\nTraceback: ..."),
        (2, StepRunStatus.FAILED, "TimeoutError: gateway again"),
        (3, StepRunStatus.SUCCEEDED, None),
    ]
    assert [s.id for s in attempts] == [a.step_run_id for a in (first, second, third)]
    (receipt,) = worker.assignments()
    assert receipt.input == {"charged": True}
    worker.run(receipt)
    assert daemon.trace(run_id).run.status is RunStatus.SUCCEEDED


def test_a_retry_repeats_the_first_attempt_s_input(daemon: Daemon) -> None:
    worker, run_id = placed(daemon, retries=1)
    (first,) = worker.assignments()
    worker.failed(first, "RuntimeError: declined")

    pending = daemon.steps(run_id)["charge"]
    assert (pending.attempt, pending.status) == (2, StepRunStatus.PENDING)
    assert pending.input == {"card": "4242"}  # visible in the trace before it runs
    daemon.pass_time(1)
    (second,) = worker.assignments()

    assert second.input == first.input == {"card": "4242"}
    assert second.step_outputs == first.step_outputs == {}
    assert second.workflow_run_id == run_id


def test_when_the_retries_run_out_the_failure_cascades(daemon: Daemon) -> None:
    worker, run_id = placed(daemon, retries=1)
    (first,) = worker.assignments()
    worker.failed(first, "RuntimeError: declined")
    daemon.pass_time(1)
    (second,) = worker.assignments()

    worker.failed(second, "RuntimeError: declined again")
    daemon.pass_time(3600)

    assert [s.status for s in daemon.attempts(run_id, "charge")] == [
        StepRunStatus.FAILED,
        StepRunStatus.FAILED,
    ]
    receipt = daemon.steps(run_id)["receipt"]
    assert receipt.cancel_reason is CancelReason.PREVIOUS_STEP_FAILED
    trace = daemon.trace(run_id)
    assert trace.jobs[0].job_run.error == (
        "step 'charge' failed on attempt 2 of 2: RuntimeError: declined again"
    )
    assert trace.run.status is RunStatus.FAILED
    assert worker.assignments() == []


def test_without_retries_the_first_failure_is_final(daemon: Daemon) -> None:
    worker, run_id = placed(daemon, retries=0)
    (first,) = worker.assignments()

    worker.failed(first, "RuntimeError: declined")
    daemon.pass_time(60)

    assert len(daemon.attempts(run_id, "charge")) == 1
    assert (
        daemon.trace(run_id).jobs[0].job_run.error == "step 'charge' failed: RuntimeError: declined"
    )


def test_a_template_error_is_not_retried(daemon: Daemon) -> None:
    daemon.load(charge=charge_workflow(3, with_="{card: '{{ .input.nothing.here }}'}"))
    daemon.connect(actions=["billing:charge"])
    run_id = daemon.push("order:placed", {"card": "4242"}).run_ids[0]
    daemon.pass_time(120)

    (only,) = daemon.attempts(run_id, "charge")
    assert only.status is StepRunStatus.FAILED
    assert only.error is not None
    assert "nothing" in only.error
    assert daemon.trace(run_id).run.status is RunStatus.FAILED


def test_cancelling_the_run_cancels_a_retry_waiting_out_its_backoff(daemon: Daemon) -> None:
    worker, run_id = placed(daemon, retries=1)
    (first,) = worker.assignments()
    worker.failed(first, "RuntimeError: declined")

    daemon.call(lambda e: e.cancel_run(run_id))
    daemon.pass_time(10)

    assert [(s.attempt, s.status) for s in daemon.attempts(run_id, "charge")] == [
        (1, StepRunStatus.FAILED),
        (2, StepRunStatus.CANCELLED),
    ]
    assert daemon.steps(run_id)["charge"].cancel_reason is CancelReason.USER_CANCELLED
    assert worker.assignments() == []


def test_a_job_timeout_during_a_backoff_ends_the_retries(daemon: Daemon) -> None:
    daemon.load(
        charge=charge_workflow(5).replace("    steps:\n", "    timeout: 4s\n    steps:\n", 1)
    )
    worker = daemon.connect(actions=["billing:charge"])
    run_id = daemon.push("order:placed", {"card": "4242"}).run_ids[0]
    for wait in (1, 2):  # attempt 1 fails at 0 s, attempt 2 at 1 s; attempt 3 would be at 3 s
        (assign,) = worker.assignments()
        worker.failed(assign, "RuntimeError: declined")
        daemon.pass_time(wait)
    (third,) = worker.assignments()
    worker.failed(third, "RuntimeError: declined")  # attempt 4 would start at 7 s

    daemon.pass_time(1)  # 4 s: the job's timeout

    assert [(s.attempt, s.status, s.cancel_reason) for s in daemon.attempts(run_id, "charge")] == [
        (1, StepRunStatus.FAILED, None),
        (2, StepRunStatus.FAILED, None),
        (3, StepRunStatus.FAILED, None),
        (4, StepRunStatus.CANCELLED, CancelReason.JOB_TIMED_OUT),
    ]
    assert daemon.trace(run_id).run.status is RunStatus.FAILED
