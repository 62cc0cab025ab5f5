"""The trace view says why a step waits for a worker, and stops saying it once one takes it."""

from __future__ import annotations

import pytest

from hatchet_cli.client import Client
from hatchet_cli.tui.link import DaemonLink
from hatchet_cli.tui.trace_view import Node
from tests.live import run_worker
from tests.tui.runs_harness import USER, RunsApp
from tests.tui.tui_support import until

pytestmark = pytest.mark.anyio

WAITING = "waiting for a worker with action sandbox:create — none connected serves it"


async def test_a_step_waiting_for_a_worker_says_none_serves_its_action(address: str) -> None:
    with Client(address) as client:
        run_id = client.events.push("user:create", USER).run_ids[0]
    app = RunsApp(DaemonLink(address))
    async with app.run_test(size=(200, 50)) as pilot:
        await until(pilot, lambda: app.connected, "the change stream opening")
        view = app.trace_view
        view.show_run(run_id)
        await until(
            pilot, lambda: view.trace is not None and len(view.trace.waiting) == 3, "the waits"
        )
        assert view.trace is not None
        sandbox = next(
            s for job in view.trace.jobs for s in job.step_runs if s.step_id == "createSandbox"
        )
        node = view._tree_nodes[Node("step", sandbox.id)]
        assert WAITING in str(node.label)
        view.trace_tree.focus()
        view.trace_tree.move_cursor(node)
        await until(pilot, lambda: WAITING in view.detail.text, "the reason in the step panel")

        with run_worker(address):
            await until(
                pilot,
                lambda: view.trace is not None and view.trace.run.status.value == "SUCCEEDED",
                "the run succeeding in the trace",
            )
        assert "waiting for a worker" not in str(view._tree_nodes[Node("step", sandbox.id)].label)
        assert "waiting for a worker" not in view.detail.text
