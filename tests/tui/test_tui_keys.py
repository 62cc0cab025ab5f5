"""The keyboard: every pane reachable (`tab`/`shift+tab`), `enter`/`right` into an event's runs,
`home`/`end`/`g`/`G` in every list, view keys once a filter is submitted or left, `y` copies the
selected id, and `?` lists every key the bindings define. Against a real daemon."""

from __future__ import annotations

import pytest
from textual.binding import Binding
from textual.message import Message
from textual.pilot import Pilot
from textual.widgets import DataTable, Input, Tree

from hatchet_cli.tui.app import HatchetApp
from hatchet_cli.tui.events_view import EventsView
from hatchet_cli.tui.help_screen import HelpScreen
from hatchet_cli.tui.runs_view import RunsView
from tests.tui.tui_support import SIGN_UP_KEY, USER, Daemon, drive, focus, until


async def ready(app: HatchetApp, pilot: Pilot[None]) -> None:
    """Connected, and the focus in the shown view (the app puts it there once it has drawn)."""
    view = app.views[app.current_view]
    await until(
        pilot,
        lambda: app.connected and app.focused is not None and view in app.focused.ancestors,
        "the app ready",
    )


async def type_filter(app: HatchetApp, pilot: Pilot[None], text: str) -> Input:
    """`/`, then `text` typed once the box has the focus; the box."""
    await pilot.press("slash")
    await until(pilot, lambda: isinstance(app.focused, Input), "the box")
    box = app.focused
    assert isinstance(box, Input)
    await pilot.press(*text)
    return box


@pytest.mark.parametrize("submit", ["enter", "escape"])
def test_view_keys_reach_the_events_view_once_its_filter_is_submitted_or_left(
    daemon: Daemon, submit: str
) -> None:
    daemon.client.events.push("a:one", {"n": 1})

    async def scenario(app: HatchetApp, pilot: Pilot[None], posted: list[Message]) -> None:
        await ready(app, pilot)
        view = app.query_one(EventsView)
        await until(pilot, lambda: view.events, "the event")
        box = await type_filter(app, pilot, "a2")
        assert box.value == "a2"  # while typing, keys go into the box
        assert app.current_view == "events"
        await pilot.press(submit)
        await pilot.press("2")
        assert app.current_view == "runs"

    drive(daemon.address, scenario)


@pytest.mark.parametrize("submit", ["enter", "escape"])
def test_view_keys_reach_the_runs_view_once_its_filter_is_submitted_or_left(
    daemon: Daemon, submit: str
) -> None:
    async def scenario(app: HatchetApp, pilot: Pilot[None], posted: list[Message]) -> None:
        await ready(app, pilot)
        await pilot.press("2")
        await until(pilot, lambda: app.focused is app.query_one("#runs-table"), "the runs table")
        box = await type_filter(app, pilot, "x3")
        assert box.id == "runs-workflow"
        assert box.value == "x3"
        await pilot.press(submit)
        await pilot.press("3")
        assert app.current_view == "workflows"

    drive(daemon.address, scenario)


def test_a_filtered_view_shown_again_takes_view_keys(daemon: Daemon) -> None:
    daemon.client.events.push("a:one", {"n": 1})

    async def scenario(app: HatchetApp, pilot: Pilot[None], posted: list[Message]) -> None:
        await ready(app, pilot)
        await type_filter(app, pilot, "one")
        await pilot.press("enter")
        box = app.query_one("#events-filter", Input)
        assert box.display, (box.value, app.query_one(EventsView).filter)  # the filter stays shown
        await pilot.press("2", "1")
        await pilot.pause(0.1)
        await pilot.press("3")
        assert app.current_view == "workflows"
        assert app.query_one("#events-filter", Input).value == "one"

    drive(daemon.address, scenario)


@pytest.mark.parametrize("into", ["enter", "right"])
def test_enter_or_right_on_an_event_goes_into_its_runs_and_enter_there_shows_the_trace(
    daemon: Daemon, into: str
) -> None:
    run_id = daemon.client.events.push(SIGN_UP_KEY, USER).run_ids[0]

    async def scenario(app: HatchetApp, pilot: Pilot[None], posted: list[Message]) -> None:
        await ready(app, pilot)
        runs = app.query_one("#event-runs", DataTable)
        await until(pilot, lambda: run_id in runs.rows, "the event's run in the detail")
        await focus(pilot, app.query_one("#events-table", DataTable))
        await pilot.press(into)
        assert app.focused is runs
        assert app.current_view == "events"
        await pilot.press("enter")
        await until(pilot, lambda: app.current_view == "trace", "the trace")
        trace = app.views["trace"]
        assert getattr(trace, "run_id", None) == run_id

    drive(daemon.address, scenario)


def test_tab_and_shift_tab_go_round_the_panes_of_the_view(daemon: Daemon) -> None:
    daemon.client.events.push(SIGN_UP_KEY, USER)

    async def scenario(app: HatchetApp, pilot: Pilot[None], posted: list[Message]) -> None:
        await ready(app, pilot)
        await until(pilot, lambda: app.query_one(EventsView).events, "the event")
        seen = [app.focused.id if app.focused else None]
        for _ in range(3):
            await pilot.press("tab")
            seen.append(app.focused.id if app.focused else None)
        assert seen == ["events-table", "event-payload-scroll", "event-runs", "events-table"]
        await pilot.press("shift+tab")
        assert app.focused is not None
        assert app.focused.id == "event-runs"
        assert app.current_view == "events"
        await pilot.press("right_square_bracket")
        assert app.current_view == "runs"
        await pilot.press("left_square_bracket")
        assert app.current_view == "events"

    drive(daemon.address, scenario)


@pytest.mark.parametrize(("first", "last"), [("home", "end"), ("g", "G")])
def test_home_end_g_and_shift_g_go_to_the_first_and_last_row(
    daemon: Daemon, first: str, last: str
) -> None:
    for n in range(5):
        daemon.client.events.push(SIGN_UP_KEY, USER | {"n": n})

    async def scenario(app: HatchetApp, pilot: Pilot[None], posted: list[Message]) -> None:
        await ready(app, pilot)
        events = app.query_one("#events-table", DataTable)
        await until(pilot, lambda: events.row_count == 5, "the events")
        await focus(pilot, events)
        await pilot.press(last)
        assert events.cursor_row == 4
        await pilot.press(first)
        assert events.cursor_row == 0
        await pilot.press("2")
        runs = app.query_one(RunsView)
        await until(pilot, lambda: runs.table.row_count == 5, "the runs")
        await focus(pilot, runs.table)
        await pilot.press(last)
        assert runs.table.cursor_row == 4
        await pilot.press(first)
        assert runs.table.cursor_row == 0
        await pilot.press("enter")
        await until(pilot, lambda: app.current_view == "trace", "the trace")
        tree = app.query_one("#trace-tree", Tree)
        await until(pilot, lambda: tree.last_line > 0, "the trace's lines")
        await focus(pilot, tree)
        await pilot.press(last)
        assert tree.cursor_line == tree.last_line
        await pilot.press(first)
        assert tree.cursor_line == 0

    drive(daemon.address, scenario)


def test_y_copies_the_selected_id_and_says_so(daemon: Daemon) -> None:
    event = daemon.client.events.push(SIGN_UP_KEY, USER)

    async def scenario(app: HatchetApp, pilot: Pilot[None], posted: list[Message]) -> None:
        await ready(app, pilot)
        await until(pilot, lambda: app.query_one(EventsView).events, "the event")
        await pilot.press("y")
        assert app.clipboard == event.id
        await until(pilot, lambda: any(event.id in str(n.message) for n in app._notifications))
        await pilot.press("2")
        runs = app.query_one(RunsView)
        await until(pilot, lambda: runs.selected_run_id, "the run")
        await pilot.press("y")
        assert app.clipboard == event.run_ids[0]

    drive(daemon.address, scenario)


def test_the_help_lists_every_key_its_bindings_define(daemon: Daemon) -> None:
    async def scenario(app: HatchetApp, pilot: Pilot[None], posted: list[Message]) -> None:
        await ready(app, pilot)
        await pilot.press("question_mark")
        help_screen = app.screen
        assert isinstance(help_screen, HelpScreen)
        view_keys = dict(help_screen.view_keys)
        assert view_keys["r"] == "Replay"
        assert view_keys["/"] == "Filter"
        assert view_keys["enter right"] == "Into the event's runs"
        assert view_keys["home g"] == "First row"
        assert view_keys["end G"] == "Last row"
        everywhere = dict(help_screen.everywhere)
        assert everywhere["tab"] == "Next pane"
        assert everywhere["y"] == "Copy id"
        assert everywhere["ctrl+p"].startswith("Command palette")
        # Every key the app binds is listed: the screen is made of the bindings.
        for binding in HatchetApp.BINDINGS:
            assert isinstance(binding, Binding)
            assert any(binding.description == what for what in everywhere.values())

    drive(daemon.address, scenario)
