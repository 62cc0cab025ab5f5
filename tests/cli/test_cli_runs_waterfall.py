"""The waterfall bars and the tree of `hatchet runs show`, drawn from traces with fixed times.

The axis is 24 cells; the runs here last 24 s, so one cell is one second.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from hatchet_cli._waterfall import Axis, waterfall
from hatchet_cli.cli.runs_trace import trace_lines
from hatchetd.contracts.enums import CancelReason, RunStatus, StepRunStatus, TriggerKind
from hatchetd.contracts.runs import JobRun, JobRunTrace, RunTrace, StepRun, WorkflowRun

T0 = datetime(2026, 5, 1, 12, 0, 0, tzinfo=UTC)


def at(seconds: float | None) -> datetime | None:
    """The moment `seconds` after T0 (None stays None)."""
    return None if seconds is None else T0 + timedelta(seconds=seconds)


def step(
    step_id: str,
    created: float,
    started: float | None,
    finished: float | None,
    status: StepRunStatus,
    *,
    attempt: int = 1,
    cancel_reason: CancelReason | None = None,
) -> StepRun:
    return StepRun(
        id=f"step-{step_id}-{attempt}",
        workflow_run_id="run-1",
        job_run_id="job-1",
        step_id=step_id,
        step_index=0,
        action="echo:echo",
        attempt=attempt,
        status=status,
        worker_id="3f2a0c1d-0000-0000-0000-000000000000" if started is not None else None,
        created_at=T0 + timedelta(seconds=created),
        started_at=at(started),
        finished_at=at(finished),
        cancel_reason=cancel_reason,
    )


def job(
    name: str, started: float | None, finished: float | None, status: RunStatus, *steps: StepRun
) -> JobRunTrace:
    job_run = JobRun(
        id=f"job-{name}",
        workflow_run_id="run-1",
        job_name=name,
        status=status,
        created_at=T0,
        started_at=at(started),
        finished_at=at(finished),
    )
    return JobRunTrace(job_run=job_run, step_runs=list(steps))


def trace(finished: float | None, status: RunStatus, *jobs: JobRunTrace) -> RunTrace:
    run = WorkflowRun(
        id="run-1",
        workflow_name="post-user-sign-up",
        workflow_version_id="version-1",
        trigger=TriggerKind.EVENT,
        event_id="event-1",
        status=status,
        created_at=T0,
        started_at=T0,
        finished_at=at(finished),
    )
    return RunTrace(run=run, jobs=list(jobs))


def bar_of(step_run: StepRun, *, finished: float | None = 24, now: float = 24) -> str:
    """The bar of one step in a run that ends at `finished` (None: still running at `now`)."""
    status = RunStatus.SUCCEEDED if finished is not None else RunStatus.RUNNING
    run = trace(finished, status, job("j", 0, finished, status, step_run))
    return waterfall(run, at(now) or T0)[step_run.id].text()


def test_a_step_waits_for_a_worker_then_runs() -> None:
    done = step("a", 0, 4, 16, StepRunStatus.SUCCEEDED)
    assert bar_of(done) == "░░░░████████████········"


def test_a_step_starting_late_in_the_run_sits_at_the_right() -> None:
    done = step("b", 18, 20, 24, StepRunStatus.SUCCEEDED)
    assert bar_of(done) == "··················░░████"


def test_a_step_shorter_than_a_cell_still_shows_one_running_cell() -> None:
    quick = step("a", 10, 10.2, 10.25, StepRunStatus.SUCCEEDED)
    assert bar_of(quick) == "··········█·············"


def test_a_step_cancelled_before_it_started_shows_only_its_wait() -> None:
    cancelled = step("a", 2, None, 5, StepRunStatus.CANCELLED)
    assert bar_of(cancelled) == "··░░░···················"


def test_while_the_run_is_open_the_axis_ends_now() -> None:
    # 12 s into a running run: one cell is half a second.
    waiting = step("a", 6, None, None, StepRunStatus.PENDING_ASSIGNMENT)
    running = step("b", 0, 3, None, StepRunStatus.RUNNING)
    assert bar_of(waiting, finished=None, now=12) == "············░░░░░░░░░░░░"
    assert bar_of(running, finished=None, now=12) == "░░░░░░██████████████████"


def test_a_daemon_clock_ahead_of_ours_stretches_the_axis_to_its_times() -> None:
    # The step started 12 s after creation by the daemon's clock; ours says only 6 s have passed:
    # the axis ends at 12 s, where the step has just started, not at 6 s.
    running = step("a", 0, 12, None, StepRunStatus.RUNNING)
    assert bar_of(running, finished=None, now=6) == "░" * 23 + "█"


def test_a_run_that_took_no_time_draws_a_cell_at_the_start() -> None:
    instant = step("a", 0, 0, 0, StepRunStatus.SUCCEEDED)
    assert bar_of(instant, finished=0, now=0) == "█" + "·" * 23


def test_the_axis_maps_times_to_cells_and_clamps_outside_the_run() -> None:
    axis = Axis(T0, T0 + timedelta(seconds=8), width=16)
    assert axis.position(T0 + timedelta(seconds=2)) == 4.0
    assert axis.position(T0 - timedelta(seconds=1)) == 0.0
    assert axis.position(T0 + timedelta(seconds=9)) == 16.0


@pytest.fixture
def no_colour(monkeypatch: pytest.MonkeyPatch) -> None:
    """Plain text even when the tests run on a terminal (`pytest -s`)."""
    monkeypatch.setenv("NO_COLOR", "1")


@pytest.mark.usefixtures("no_colour")
def test_the_tree_lines_up_the_bars_in_one_column() -> None:
    finished = trace(
        24,
        RunStatus.FAILED,
        job(
            "create-resources",
            0,
            24,
            RunStatus.FAILED,
            step("createSandbox", 0, 2, 8, StepRunStatus.FAILED),
            step("createSandbox", 12, 14, 24, StepRunStatus.FAILED, attempt=2),
        ),
        job(
            "greet-user",
            0,
            6,
            RunStatus.CANCELLED,
            step(
                "greetUser",
                0,
                None,
                6,
                StepRunStatus.CANCELLED,
                cancel_reason=CancelReason.USER_CANCELLED,
            ),
        ),
    )
    assert trace_lines(finished, now=T0 + timedelta(hours=1)) == [
        "run run-1  post-user-sign-up  FAILED  event event-1  took 24.0s",
        "├─ job create-resources   ████████████████████████  FAILED  took 24.0s",
        "│  ├─ step createSandbox  ░░██████················  FAILED  attempt 1  worker 3f2a0c1d"
        "  took 6.0s",
        "│  └─ step createSandbox  ············░░██████████  FAILED  attempt 2  worker 3f2a0c1d"
        "  took 10.0s",
        "└─ job greet-user         ██████··················  CANCELLED  took 6.0s",
        "   └─ step greetUser      ░░░░░░··················  CANCELLED (USER_CANCELLED)  attempt 1"
        "  worker -  took -",
    ]


@pytest.mark.usefixtures("no_colour")
def test_verbose_puts_each_steps_values_under_it() -> None:
    done = step("a", 0, 1, 2, StepRunStatus.SUCCEEDED)
    done = done.model_copy(update={"input": {"x": 1}, "output": "ok", "error": None})
    lines = trace_lines(
        trace(24, RunStatus.SUCCEEDED, job("j", 0, 2, RunStatus.SUCCEEDED, done)),
        now=T0,
        verbose=True,
    )
    assert lines[3:] == ["      input: {", '          "x": 1', "        }", "      output: ok"]
