"""The TUI's tables keep their columns as wide as their cells: a table drawn between rows being
added and their cells being measured is redrawn once they are (it kept every column as wide as
its label: the workflows view, now and then, drawn 4 cells a column). An event's runs take the
room they need, up to half the detail pane."""

from __future__ import annotations

import pytest
from textual.app import App, ComposeResult

from hatchet_cli.tui.app import make_tui
from hatchet_cli.tui.event_detail import EventDetailPane
from hatchet_cli.tui.events_view import EventsView
from hatchet_cli.tui.link import DaemonLink
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


@pytest.mark.parametrize(("count", "rows"), [(1, 1), (12, 12), (40, 13)])
async def test_an_event_s_runs_pane_is_as_tall_as_its_runs_up_to_half_the_pane(
    count: int, rows: int
) -> None:
    app = make_tui(DaemonLink("http://127.0.0.1:9"), live=False)
    async with app.run_test(size=(130, 34)) as pilot:
        runs = [
            {"id": f"{n:08x}-run", "workflow_name": "w", "status": "SUCCEEDED"}
            for n in range(count)
        ]
        event = {
            "id": "e1",
            "key": "k",
            "created_at": "2026-11-26T02:00:00Z",
            "data": {},
            "run_ids": [run["id"] for run in runs],
        }
        app.query_one(EventsView).show_events([event])
        await pilot.pause()
        pane = app.query_one(EventDetailPane)
        pane.show(event, runs)
        await pilot.pause()
        assert pane.runs_table.region.height == rows + 1  # and its header
