"""What the runs and trace views look like, fed fixed runs at a fixed time (100x30)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from textual.pilot import Pilot

from hatchet_cli.tui.link import DaemonLink
from hatchet_cli.tui.trace_view import Node
from hatchetd.contracts.enums import CancelReason, RunStatus, StepRunStatus, TriggerKind
from hatchetd.contracts.runs import JobRun, JobRunTrace, RunTrace, StepLog, StepRun, WorkflowRun
from tests.tui.runs_harness import RunsApp

SIZE = (100, 30)
T0 = datetime(2026, 11, 26, 9, 0, 0, tzinfo=UTC)
NOW = T0 + timedelta(seconds=20)
NOWHERE = "http://127.0.0.1:9"  # never called: the views are fed records


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def run(
    n: int, status: RunStatus, workflow: str = "post-user-sign-up", **times: Any
) -> WorkflowRun:
    return WorkflowRun(
        id=f"{n:08x}-0000-4000-8000-000000000000",
        workflow_name=workflow,
        workflow_version_id="v1",
        trigger=TriggerKind.EVENT,
        event_id=f"e{n:07x}-0000-4000-8000-000000000000",
        status=status,
        created_at=at(n),
        **times,
    )


RUNS = [
    run(9, RunStatus.RUNNING, started_at=at(9.5)),
    run(7, RunStatus.PENDING),
    run(5, RunStatus.FAILED, "nightly-report", started_at=at(5.1), finished_at=at(8.4)),
    run(3, RunStatus.CANCELLED, started_at=at(3.2), finished_at=at(4)),
    run(1, RunStatus.SUCCEEDED, started_at=at(1.05), finished_at=at(1.9)),
]

RUN_ID = "5d0c1a2b-0000-4000-8000-000000000000"
TRACEBACK = (
    "RuntimeError: mail server said no\n"
    "Traceback (most recent call last):\n"
    '  File "worker.py", line 12, in email\n'
    "    send(input)\n"
    "RuntimeError: mail server said no"
)


def step(
    id: str, job: str, step_id: str, status: StepRunStatus, created: float, **fields: Any
) -> StepRun:
    return StepRun(
        id=id,
        workflow_run_id=RUN_ID,
        job_run_id=job,
        step_id=step_id,
        step_index=0,
        action=f"demo:{step_id}",
        status=status,
        created_at=at(created),
        **fields,
    )


TRACE = RunTrace(
    run=WorkflowRun(
        id=RUN_ID,
        workflow_name="post-user-sign-up",
        workflow_version_id="v1",
        trigger=TriggerKind.EVENT,
        event_id="9a1f0000-0000-4000-8000-000000000000",
        status=RunStatus.RUNNING,
        created_at=at(0),
        started_at=at(0),
    ),
    jobs=[
        JobRunTrace(
            job_run=JobRun(
                id="j1",
                workflow_run_id=RUN_ID,
                job_name="create-resources",
                status=RunStatus.SUCCEEDED,
                created_at=at(0),
                started_at=at(0),
                finished_at=at(6),
            ),
            step_runs=[
                step(
                    "s1",
                    "j1",
                    "createSandbox",
                    StepRunStatus.SUCCEEDED,
                    0,
                    worker_id="3f2a0c1d-0000",
                    started_at=at(2),
                    finished_at=at(6),
                    input={"owner": "ada@example.com"},
                    output={"sandbox": "sb-1"},
                ),
            ],
        ),
        JobRunTrace(
            job_run=JobRun(
                id="j2",
                workflow_run_id=RUN_ID,
                job_name="greet-user",
                status=RunStatus.RUNNING,
                created_at=at(0),
                started_at=at(0),
            ),
            step_runs=[
                step(
                    "s2",
                    "j2",
                    "greetUser",
                    StepRunStatus.FAILED,
                    0,
                    attempt=1,
                    worker_id="3f2a0c1d-0000",
                    started_at=at(1),
                    finished_at=at(4),
                    input={"email": "ada@example.com"},
                    error=TRACEBACK,
                ),
                step(
                    "s3",
                    "j2",
                    "greetUser",
                    StepRunStatus.RUNNING,
                    4,
                    attempt=2,
                    worker_id="77aa0000-0000",
                    started_at=at(9),
                    input={"email": "ada@example.com"},
                ),
            ],
        ),
        JobRunTrace(
            job_run=JobRun(
                id="j3",
                workflow_run_id=RUN_ID,
                job_name="add-to-newsletter",
                status=RunStatus.CANCELLED,
                cancel_reason=CancelReason.USER_CANCELLED,
                created_at=at(0),
                finished_at=at(3),
            ),
            step_runs=[
                step(
                    "s4",
                    "j3",
                    "addUserToNewsletter",
                    StepRunStatus.CANCELLED,
                    0,
                    cancel_reason=CancelReason.USER_CANCELLED,
                    finished_at=at(3),
                ),
            ],
        ),
    ],
)

LOGS = [
    StepLog(step_run_id="s2", at=at(1.5), line="sending the welcome mail"),
    StepLog(step_run_id="s2", at=at(3.9), line="the mail server said no"),
]


class RunsOnly(RunsApp):
    CSS = "TraceView { display: none; }"


class TraceOnly(RunsApp):
    CSS = "RunsView { display: none; }"


def test_runs_view(snap_compare: Any) -> None:
    app = RunsOnly(DaemonLink(NOWHERE), follow=False)

    async def feed(pilot: Pilot[Any]) -> None:
        app.runs_view.now = NOW
        app.runs_view.show_runs(RUNS, next_cursor="more")
        app.runs_view.table.focus()
        await pilot.press("down")

    assert snap_compare(app, terminal_size=SIZE, run_before=feed)


def test_trace_view_with_a_failed_attempt_selected(snap_compare: Any) -> None:
    app = TraceOnly(DaemonLink(NOWHERE), follow=False)

    async def feed(pilot: Pilot[Any]) -> None:
        view = app.trace_view
        view.show_trace(TRACE, NOW, LOGS)
        view.trace_tree.focus()
        await pilot.pause()
        view.trace_tree.move_cursor(view._tree_nodes[Node("step", "s2")], animate=False)
        await pilot.pause()

    assert snap_compare(app, terminal_size=SIZE, run_before=feed)
