"""The workflows view (versions, triggers, reload errors as soon as a file breaks) and the workers
view (actions, slots in use, heartbeat, lost workers), against a real daemon."""

from __future__ import annotations

from textual.message import Message
from textual.pilot import Pilot
from textual.widgets import DataTable, Static

from hatchet_cli.sdk import Worker
from hatchet_cli.tui.app import HatchetApp
from hatchet_cli.tui.workers_view import WorkersView
from hatchet_cli.tui.workflows_view import WorkflowsView
from tests.live import run_worker
from tests.tui.tui_support import Daemon, drive, until


def test_workflows_show_versions_triggers_and_the_errors_of_a_broken_file(daemon: Daemon) -> None:
    async def scenario(app: HatchetApp, pilot: Pilot[None], posted: list[Message]) -> None:
        await pilot.press("3")
        view = app.query_one(WorkflowsView)
        await until(pilot, lambda: view.workflows, what="the workflows")
        table = app.query_one("#workflows-table", DataTable)
        row = [str(cell) for cell in table.get_row_at(0)]
        assert row[0] == "post-user-sign-up"
        assert row[1] == "yes"
        assert "user:create" in row[3]
        (daemon.folder / "broken.yaml").write_text("name: broken\nversion: 1\njobs: [\n")
        await until(pilot, lambda: view.broken_files, timeout=15, what="the broken file")
        errors = str(app.query_one("#workflow-errors", Static).render())
        assert "broken.yaml" in errors

    drive(daemon.address, scenario)


def test_the_actions_no_worker_serves_are_listed_until_one_connects(address: str) -> None:
    async def scenario(app: HatchetApp, pilot: Pilot[None], posted: list[Message]) -> None:
        await pilot.press("3")
        view = app.query_one(WorkflowsView)
        table = app.query_one("#workflows-table", DataTable)

        def unserved() -> str:
            return str(table.get_row_at(0)[4]) if view.workflows else "?"

        await until(pilot, lambda: unserved() not in ("?", ""), what="the unserved actions")
        assert unserved() == "newsletter:add-user, postmark:email-from-template, sandbox:create"
        with run_worker(address):
            await until(pilot, lambda: unserved() == "", timeout=15, what="a worker serving them")

    drive(address, scenario)


def test_workers_show_actions_slots_and_heartbeat_and_lost_ones(
    daemon: Daemon, worker: Worker
) -> None:
    async def scenario(app: HatchetApp, pilot: Pilot[None], posted: list[Message]) -> None:
        await pilot.press("4")
        view = app.query_one(WorkersView)
        await until(pilot, lambda: view.worker_infos, what="the worker")
        table = app.query_one("#workers-table", DataTable)
        row = [str(cell) for cell in table.get_row_at(0)]
        assert row[0] == "tui-test-worker"
        assert row[2] == "ACTIVE"
        assert row[3] == "0/4"
        assert row[4].endswith("s ago")
        assert "sandbox:create" in row[5]
        worker.stop()
        await until(
            pilot,
            lambda: view.worker_infos and view.worker_infos[0]["worker"]["status"] != "ACTIVE",
            timeout=15,
            what="the worker to leave",
        )

    drive(daemon.address, scenario)


def test_a_lost_worker_is_marked(daemon: Daemon) -> None:
    async def scenario(app: HatchetApp, pilot: Pilot[None], posted: list[Message]) -> None:
        view = app.query_one(WorkersView)
        info = {
            "worker": {
                "id": "0" * 8 + "-0000-0000-0000-000000000000",
                "name": "gone",
                "actions": ["a:b"],
                "slots": 2,
                "status": "LOST",
                "registered_at": "2026-01-01T00:00:00Z",
                "last_heartbeat_at": "2026-01-01T00:00:00Z",
            },
            "running_step_run_ids": ["x"],
        }
        view.show_workers([info])
        cell = app.query_one("#workers-table", DataTable).get_row_at(0)[2]
        assert str(cell) == "LOST"
        assert "red" in str(cell.style)
        assert "1 lost" in str(app.query_one("#workers-summary", Static).render())

    drive(daemon.address, scenario)


def test_a_draining_worker_is_marked_and_still_counted_as_connected(daemon: Daemon) -> None:
    async def scenario(app: HatchetApp, pilot: Pilot[None], posted: list[Message]) -> None:
        view = app.query_one(WorkersView)
        info = {
            "worker": {
                "id": "1" * 8 + "-0000-0000-0000-000000000000",
                "name": "leaving",
                "actions": ["a:b"],
                "slots": 2,
                "status": "DRAINING",
                "registered_at": "2026-01-01T00:00:00Z",
                "last_heartbeat_at": "2026-01-01T00:00:00Z",
            },
            "running_step_run_ids": ["x"],
        }
        view.show_workers([info])
        name, _, cell, *_ = app.query_one("#workers-table", DataTable).get_row_at(0)
        assert str(cell) == "DRAINING"
        assert "yellow" in str(cell.style)
        assert "strike" not in str(name.style)
        summary = str(app.query_one("#workers-summary", Static).render())
        assert summary == "0 active · 1 draining · 0 lost · 1 known"

    drive(daemon.address, scenario)
