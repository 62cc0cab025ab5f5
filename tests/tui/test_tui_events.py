"""The events view against a real daemon: newest first, live, paged, filtered, replayed."""

from __future__ import annotations

from textual.message import Message
from textual.pilot import Pilot
from textual.widgets import DataTable, TextArea

from hatchet_cli.sdk import Worker
from hatchet_cli.tui.app import HatchetApp
from hatchet_cli.tui.confirm import ConfirmScreen
from hatchet_cli.tui.event_detail import EditPayloadScreen, EventDetailPane
from hatchet_cli.tui.events_view import PAGE, EventsView
from hatchet_cli.tui.messages import EventReplayed, ShowRun
from tests.tui.tui_support import SIGN_UP_KEY, USER, Daemon, drive, focus, until


def events_view(app: HatchetApp) -> EventsView:
    return app.query_one(EventsView)


def keys_shown(app: HatchetApp) -> list[str]:
    table = app.query_one("#events-table", DataTable)
    return [str(table.get_row_at(i)[1]).removesuffix(" ↺") for i in range(table.row_count)]


def test_events_are_newest_first_and_new_ones_arrive_on_top(daemon: Daemon) -> None:
    daemon.client.events.push("a:one", {"n": 1})
    daemon.client.events.push("a:two", {"n": 2})

    async def scenario(app: HatchetApp, pilot: Pilot[None], posted: list[Message]) -> None:
        await until(pilot, lambda: keys_shown(app) == ["a:two", "a:one"], what="two events")
        await until(pilot, lambda: app.connected)
        daemon.client.events.push("a:three", {"n": 3})
        await until(pilot, lambda: keys_shown(app)[:1] == ["a:three"], what="the new event")

    drive(daemon.address, scenario)


def test_only_the_newest_page_is_read_and_m_reads_the_next(daemon: Daemon) -> None:
    for n in range(PAGE + 5):
        daemon.client.events.push("bulk:item", {"n": n})

    async def scenario(app: HatchetApp, pilot: Pilot[None], posted: list[Message]) -> None:
        view = events_view(app)
        await until(pilot, lambda: app.connected and len(view.events) == PAGE and not view.reading)
        assert view.next_cursor is not None
        await pilot.press("m")
        await until(pilot, lambda: len(view.events) == PAGE + 5, what="the second page")
        assert view.next_cursor is None

    drive(daemon.address, scenario)


def test_slash_filters_by_key_on_the_daemon_and_by_payload_text(daemon: Daemon) -> None:
    daemon.client.events.push("user:create", {"user": {"email": "ada@example.com"}})
    daemon.client.events.push("user:delete", {"user": {"email": "bob@example.com"}})
    daemon.client.events.push("order:paid", {"total": 42})

    async def scenario(app: HatchetApp, pilot: Pilot[None], posted: list[Message]) -> None:
        await until(pilot, lambda: len(keys_shown(app)) == 3, what="three events")
        await pilot.press("slash", *"key=user:*", "enter")
        await until(pilot, lambda: keys_shown(app) == ["user:delete", "user:create"])
        await pilot.press("slash", "ctrl+a", "ctrl+k", *"key=user:* ada", "enter")
        await until(pilot, lambda: keys_shown(app) == ["user:create"])
        await pilot.press("slash", "ctrl+a", "ctrl+k", *"total=42", "enter")
        await until(pilot, lambda: keys_shown(app) == ["order:paid"])
        await pilot.press("escape")
        await until(pilot, lambda: len(keys_shown(app)) == 3, what="the filter cleared")

    drive(daemon.address, scenario)


def test_the_detail_shows_the_payload_and_the_runs_it_triggered(
    daemon: Daemon, worker: Worker
) -> None:
    event = daemon.client.events.push(SIGN_UP_KEY, USER)

    async def scenario(app: HatchetApp, pilot: Pilot[None], posted: list[Message]) -> None:
        pane = app.query_one(EventDetailPane)
        await until(pilot, lambda: pane.event is not None and pane.event["id"] == event.id)
        await until(
            pilot,
            lambda: any(r.get("status") == "SUCCEEDED" for r in pane.runs.values()),
            what="the triggered run to succeed in the pane",
        )
        runs = app.query_one("#event-runs", DataTable)
        await focus(pilot, runs)
        await pilot.press("enter")
        await until(pilot, lambda: app.current_view == "trace", what="the run's trace")

    posted = drive(daemon.address, scenario)
    shown = [m.run_id for m in posted if isinstance(m, ShowRun)]
    assert shown
    assert shown[0] in daemon.client.events.get(event.id).run_ids


def test_r_replays_the_selected_event_after_confirmation(daemon: Daemon) -> None:
    original = daemon.client.events.push("a:replay-me", {"n": 1})

    async def scenario(app: HatchetApp, pilot: Pilot[None], posted: list[Message]) -> None:
        view = events_view(app)
        await until(pilot, lambda: app.connected and view.selected_event() is not None)
        await pilot.press("r")
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")
        assert not isinstance(app.screen, ConfirmScreen)
        await pilot.press("r", "y")
        await until(pilot, lambda: any(isinstance(m, EventReplayed) for m in posted))
        await until(pilot, lambda: len(view.events) == 2, what="the replay on the stream")
        assert view.events[0]["replayed_from_id"] == original.id

    posted = drive(daemon.address, scenario)
    replayed = [m for m in posted if isinstance(m, EventReplayed)]
    assert [(m.event_id, m.edited) for m in replayed] == [(original.id, False)]
    assert daemon.client.events.get(replayed[0].new_event_ids[0]).data == {"n": 1}


def test_e_replays_with_edited_data_and_refuses_what_is_not_json(daemon: Daemon) -> None:
    original = daemon.client.events.push("a:edit-me", {"n": 1})

    async def scenario(app: HatchetApp, pilot: Pilot[None], posted: list[Message]) -> None:
        view = events_view(app)
        await until(pilot, lambda: view.selected_event() is not None)
        await pilot.press("e")
        assert isinstance(app.screen, EditPayloadScreen)
        area = app.screen.query_one(TextArea)
        area.text = "{not json"
        await pilot.press("ctrl+s")
        assert isinstance(app.screen, EditPayloadScreen)
        assert "not JSON" in str(app.screen.query_one("#edit-error").render())
        area.text = '{"n": 2}'
        await pilot.press("ctrl+s")
        await until(pilot, lambda: any(isinstance(m, EventReplayed) for m in posted))

    posted = drive(daemon.address, scenario)
    replayed = next(m for m in posted if isinstance(m, EventReplayed))
    assert (replayed.event_id, replayed.edited) == (original.id, True)
    assert daemon.client.events.get(replayed.new_event_ids[0]).data == {"n": 2}
