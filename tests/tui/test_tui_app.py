"""The app as a whole: the status line follows the daemon, keys and the palette switch views,
`?` shows the keys, `esc` goes back, `q` quits."""

from __future__ import annotations

from textual.command import CommandList, CommandPalette
from textual.message import Message
from textual.pilot import Pilot
from textual.widgets import Static

from hatchet_cli.tui.app import HatchetApp
from hatchet_cli.tui.help_screen import HelpScreen
from hatchet_cli.tui.messages import ConnectionState
from tests.tui.tui_support import Daemon, drive, until


def status_line(app: HatchetApp) -> str:
    return str(app.query_one("#status-line", Static).render())


def test_the_status_line_shows_the_address_and_connected(daemon: Daemon) -> None:
    async def scenario(app: HatchetApp, pilot: Pilot[None], posted: list[Message]) -> None:
        await until(pilot, lambda: app.connected, what="the change stream to open")
        assert daemon.address in status_line(app)
        assert "connected" in status_line(app)

    posted = drive(daemon.address, scenario)
    assert any(isinstance(m, ConnectionState) and m.connected for m in posted)


def test_a_daemon_that_is_away_shows_disconnected_retrying(closed_address: str) -> None:
    async def scenario(app: HatchetApp, pilot: Pilot[None], posted: list[Message]) -> None:
        await until(
            pilot,
            lambda: any(isinstance(m, ConnectionState) for m in posted),
            what="the first connection attempt",
        )
        await until(pilot, lambda: "disconnected — retrying" in status_line(app), "the status")
        assert not app.connected

    drive(closed_address, scenario)


def test_number_keys_brackets_and_esc_switch_views(daemon: Daemon) -> None:
    async def scenario(app: HatchetApp, pilot: Pilot[None], posted: list[Message]) -> None:
        assert app.current_view == "events"
        # As a person would: keys once the app has drawn and focused its first view.
        await until(pilot, lambda: app.connected and app.focused is not None, "the app ready")
        await pilot.press("3")
        assert app.current_view == "workflows"
        await pilot.press("4")
        assert app.current_view == "workers"
        await pilot.press("right_square_bracket")
        assert app.current_view == "trace"
        await pilot.press("2")
        assert app.current_view == "runs"
        await pilot.press("escape")
        assert app.current_view == "trace"
        await pilot.press("escape", "escape")
        assert app.current_view == "workflows"
        await pilot.click("#views Tab#--content-tab-tab-events")
        assert app.current_view == "events"

    drive(daemon.address, scenario)


def test_question_mark_shows_the_keys_of_the_view(daemon: Daemon) -> None:
    async def scenario(app: HatchetApp, pilot: Pilot[None], posted: list[Message]) -> None:
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        assert ("r", "Replay") in [(k, d) for k, d in app.screen.view_keys]
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)

    drive(daemon.address, scenario)


def highlighted_command(app: HatchetApp) -> str | None:
    """The command the open palette would run on Enter (None while it has found none)."""
    if not isinstance(app.screen, CommandPalette):
        return None
    options = app.screen.query_one(CommandList)
    if options.highlighted is None:
        return None
    prompt = options.get_option_at_index(options.highlighted).prompt
    return str(prompt).split("\n", 1)[0]  # the title, above its help


def test_the_command_palette_lists_the_views(daemon: Daemon) -> None:
    async def scenario(app: HatchetApp, pilot: Pilot[None], posted: list[Message]) -> None:
        titles = [command.title for command in app.get_system_commands(app.screen)]
        assert {"Events view", "Runs view", "Workflows view", "Workers view"} <= set(titles)
        await pilot.press("ctrl+p")
        await pilot.press(*"workers view")
        await until(pilot, lambda: highlighted_command(app) == "Workers view", "the match")
        await pilot.press("enter")
        await until(pilot, lambda: app.current_view == "workers", what="the workers view")

    drive(daemon.address, scenario)


def test_q_quits(daemon: Daemon) -> None:
    async def scenario(app: HatchetApp, pilot: Pilot[None], posted: list[Message]) -> None:
        await pilot.press("q")
        await until(pilot, lambda: app._exit, "the app to exit")

    drive(daemon.address, scenario)
