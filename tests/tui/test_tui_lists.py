"""The TUI's tables keep their columns as wide as their cells: a table drawn between rows being
added and their cells being measured is redrawn once they are (it kept every column as wide as
its label: the workflows view, now and then, drawn 4 cells a column)."""

from __future__ import annotations

import pytest
from textual.app import App, ComposeResult

from hatchet_cli.tui.lists import ListTable
from hatchet_cli.tui.runs_view import RunsView
from hatchet_cli.tui.workflows_view import WorkflowsView
from tests.tui.tui_support import SIGN_UP_KEY, USER, Daemon, drive, until

pytestmark = pytest.mark.anyio

ROW = ("post-user-sign-up", "yes", "v0.2.0", "user:create", "post-user-sign-up.yaml")


class OneTable(App[None]):
    # As in the views: the table's size does not change as rows come (a resize redraws it).
    CSS = "ListTable { height: 1fr; }"

    def compose(self) -> ComposeResult:
        table = ListTable(id="table")
        table.add_columns("name", "active", "version", "triggers", "file")
        yield table


async def test_rows_drawn_before_they_are_measured_are_redrawn_at_their_width() -> None:
    app = OneTable()
    async with app.run_test(size=(120, 10)) as pilot:
        table = app.query_one(ListTable)
        table.focus()
        await pilot.pause()
        table.clear()
        table.add_row(*ROW, key="a")
        table.render_line(1)  # drawn before the table is idle: with the labels' widths
        await pilot.pause()
        assert table.render_line(1).text.split() == list(ROW)
        assert table.render_line(0).text.split() == [
            "name",
            "active",
            "version",
            "triggers",
            "file",
        ]
        assert table.render_line(0).text.index("active") == len(ROW[0]) + 3


def test_the_workflows_columns_after_a_trace_are_as_wide_as_their_cells(daemon: Daemon) -> None:
    """The sequence that drew them 4 cells wide about one time in four: 2, down, down, enter, 3."""
    for _ in range(3):
        daemon.client.events.push(SIGN_UP_KEY, USER)

    async def scenario(app, pilot, posted) -> None:  # type: ignore[no-untyped-def]
        await until(pilot, lambda: app.connected, "the change stream")
        await pilot.press("2")
        runs = app.query_one(RunsView)
        await until(pilot, lambda: len(runs.runs) == 3, "the runs")
        await pilot.press("down", "down", "enter", "3")
        workflows = app.query_one(WorkflowsView)
        table = app.query_one("#workflows-table", ListTable)
        await until(pilot, lambda: workflows.workflows, "the workflows")
        await until(pilot, lambda: table.render_line(1).text.startswith(" post-user-sign-up  "))
        await pilot.pause(0.2)
        assert table.render_line(1).text.split()[:4] == list(ROW[:4])

    for _ in range(6):
        drive(daemon.address, scenario)
