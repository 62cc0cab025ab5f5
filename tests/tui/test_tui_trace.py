"""The trace view against a real daemon and a real SDK worker: a run started while the TUI is
open completes in it through the change stream; the step panel shows what a step logged and
returned; `c` cancels a run after a confirmation."""

from __future__ import annotations

import pytest

from hatchet_cli.client import Client
from hatchet_cli.tui.confirm import ConfirmScreen
from hatchet_cli.tui.link import DaemonLink
from hatchet_cli.tui.trace_view import Node
from tests.live import run_worker
from tests.tui.runs_harness import USER, RunsApp
from tests.tui.tui_support import focus, until

pytestmark = pytest.mark.anyio


def push_run(address: str) -> str:
    with Client(address) as client:
        return client.events.push("user:create", USER).run_ids[0]


async def test_a_run_started_while_the_tui_is_open_appears_and_completes_in_the_trace(
    address: str,
) -> None:
    app = RunsApp(DaemonLink(address))
    async with app.run_test(size=(120, 50)) as pilot:
        await until(pilot, lambda: app.connected, "the change stream opening")
        with run_worker(address):
            run_id = push_run(address)
            await until(pilot, lambda: run_id in app.runs_view.runs, "the run in the runs view")
            await focus(pilot, app.runs_view.table)
            await pilot.press("enter")
            trace_view = app.trace_view
            await until(
                pilot,
                lambda: (
                    trace_view.trace is not None
                    and trace_view.trace.run.status.value == "SUCCEEDED"
                ),
                "the run succeeding in the trace",
            )
            assert trace_view.trace is not None
            jobs = {job.job_run.job_name: job for job in trace_view.trace.jobs}
            assert set(jobs) == {"create-resources", "greet-user", "add-to-newsletter"}
            steps = [s for job in trace_view.trace.jobs for s in job.step_runs]
            assert {s.status.value for s in steps} == {"SUCCEEDED"}
            # The tree: the run, its three jobs, one step each, every line with its bar.
            root = trace_view.trace_tree.root
            assert "SUCCEEDED" in str(root.label)
            assert len(root.children) == 3
            for job_node in root.children:
                (step_node,) = job_node.children
                assert "█" in str(step_node.label)
                assert "SUCCEEDED" in str(step_node.label)


async def test_the_step_panel_shows_input_output_attempts_and_logs(address: str) -> None:
    with run_worker(address):
        run_id = push_run(address)
        with Client(address) as client:
            for _ in range(200):
                if client.runs.get(run_id).run.status.is_final:
                    break
                await _sleep(0.05)
    app = RunsApp(DaemonLink(address), follow=False)
    async with app.run_test(size=(120, 50)) as pilot:
        view = app.trace_view
        view.show_run(run_id[:8])  # a prefix will do, as on the command line
        await until(pilot, lambda: view.trace is not None, "the trace")
        assert view.trace is not None
        sandbox = next(
            s for job in view.trace.jobs for s in job.step_runs if s.step_id == "createSandbox"
        )
        tree = view.trace_tree
        tree.focus()
        tree.move_cursor(view._tree_nodes[Node("step", sandbox.id)])
        await until(pilot, lambda: "ran sandbox:create" in view.detail.text, "the step's log")
        text = view.detail.text
        assert "step createSandbox  SUCCEEDED  attempt 1" in text
        assert '"owner": "ada@example.com"' in text  # input, and output (the input returned)
        assert text.count('"owner": "ada@example.com"') == 2
        assert "#1  SUCCEEDED" in text
        assert "logs of attempt 1:" in text


async def test_c_cancels_a_pending_run_after_yes(address: str) -> None:
    run_id = push_run(address)  # no worker: its steps wait for one
    app = RunsApp(DaemonLink(address))
    async with app.run_test(size=(120, 50)) as pilot:
        await until(pilot, lambda: app.connected, "the change stream opening")
        view = app.trace_view
        view.show_run(run_id)
        await until(pilot, lambda: view.trace is not None, "the trace")
        await focus(pilot, view.trace_tree)
        await pilot.press("c")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the question")
        assert isinstance(app.screen, ConfirmScreen)
        assert app.screen.question == f"Cancel run {run_id[:8]} (post-user-sign-up)?"
        await pilot.press("n")
        await until(pilot, lambda: not isinstance(app.screen, ConfirmScreen), "the answer")
        assert view.trace is not None
        assert view.trace.run.status.value == "RUNNING"
        await pilot.press("c")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the question")
        await pilot.press("y")
        await until(
            pilot,
            lambda: view.trace is not None and view.trace.run.status.value == "CANCELLED",
            "the run cancelled in the trace",
        )
        steps = [s for job in view.trace.jobs for s in job.step_runs]
        assert {s.cancel_reason and s.cancel_reason.value for s in steps} == {"USER_CANCELLED"}
        # The runs view heard of it through the stream too.
        await until(
            pilot,
            lambda: app.runs_view.runs[run_id].status.value == "CANCELLED",
            "the run cancelled in the runs view",
        )


async def test_c_on_a_finished_run_says_so_and_asks_nothing(address: str) -> None:
    run_id = push_run(address)
    with Client(address) as client:
        client.runs.cancel(run_id)
    app = RunsApp(DaemonLink(address), follow=False)
    async with app.run_test(size=(120, 50)) as pilot:
        view = app.trace_view
        view.show_run(run_id)
        await until(pilot, lambda: view.trace is not None, "the trace")
        await focus(pilot, view.trace_tree)
        await pilot.press("c")
        await until(pilot, lambda: app._notifications, "the notice")
        assert not isinstance(app.screen, ConfirmScreen)
        assert [n.message for n in app._notifications] == [
            f"Run {run_id[:8]} is already CANCELLED."
        ]


async def _sleep(seconds: float) -> None:
    import anyio

    await anyio.sleep(seconds)
