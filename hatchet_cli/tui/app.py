"""`HatchetApp`: the views in tabs, one line to the daemon, and the change stream feeding them.

`make_tui(link)` builds it, for `hatchet tui` and for the tests alike. On mount the app follows
the change stream on a thread (`DaemonLink.follow`); each change goes to every view's
`apply_change()`, and each (re)connection makes the shown view reread its state (the others
reread when they are next shown). With `live=False` nothing talks to the daemon: the snapshot
tests feed the views fixed records through their `show_*` methods.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any, ClassVar

from textual import work
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Footer, Input, Static, TabbedContent, TabPane

from hatchet_cli.tui.events_view import EventsView
from hatchet_cli.tui.help_screen import HelpScreen
from hatchet_cli.tui.link import DaemonLink
from hatchet_cli.tui.messages import ConnectionState, DaemonChanged, ShowRun
from hatchet_cli.tui.runs_view import RunsView
from hatchet_cli.tui.trace_view import TraceView
from hatchet_cli.tui.view import View
from hatchet_cli.tui.workers_view import WorkersView
from hatchet_cli.tui.workflows_view import WorkflowsView


class HatchetApp(App[None]):
    """The TUI: a status line, the views in tabs, a footer with the shown view's keys."""

    TITLE = "hatchet"
    CSS_PATH = "hatchet.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("q", "quit", "Quit"),
        Binding("question_mark", "help", "Help"),
        Binding("y", "copy_id", "Copy id"),
        # priority: a focused table would otherwise move its cursor or let Textual move the
        # focus out of the view; `check_action` leaves them to a modal.
        Binding("tab", "next_pane", "Next pane", show=False, priority=True),
        Binding("shift+tab", "next_pane(-1)", "Previous pane", show=False, priority=True),
        Binding("right_square_bracket", "next_view", "Next view", show=False),
        Binding("left_square_bracket", "next_view(-1)", "Previous view", show=False),
        # priority: the views' tables must not swallow it; `check_action` lets it through to
        # a modal or a focused input (which close themselves on `esc`).
        Binding("escape", "go_back", "Back", show=False, priority=True),
        Binding("1", "show_view('events')", "Events", show=False),
        Binding("2", "show_view('runs')", "Runs", show=False),
        Binding("3", "show_view('workflows')", "Workflows", show=False),
        Binding("4", "show_view('workers')", "Workers", show=False),
        Binding("5", "show_view('trace')", "Trace", show=False),
    ]

    def __init__(
        self,
        link: DaemonLink,
        *,
        live: bool = True,
        now: Callable[[], datetime] | None = None,
    ) -> None:
        super().__init__()
        self.link = link
        self.live = live
        """Whether to follow the change stream and read from the daemon (False: snapshots)."""
        self.now: Callable[[], datetime] = now or (lambda: datetime.now(UTC))
        """The clock the views show ages with."""
        self.connected = False
        self.why = "connecting…"
        self.history: list[str] = []
        """The views shown before the current one, for `esc`."""
        self._stop = threading.Event()
        self._stale: set[str] = set()
        self.views: dict[str, View] = {
            "events": EventsView(link, id="events"),
            "runs": RunsView(link, id="runs"),
            "workflows": WorkflowsView(link, id="workflows"),
            "workers": WorkersView(link, id="workers"),
            "trace": TraceView(link, id="trace"),
        }

    def compose(self) -> ComposeResult:
        yield Static("", id="status-line")
        with TabbedContent(initial="tab-events", id="views"):
            for name, view in self.views.items():
                with TabPane(f"{view.KEY} {view.TITLE}", id=f"tab-{name}"):
                    yield view
        yield Footer()

    def on_mount(self) -> None:
        self._show_state()
        if self.live:
            self._stale = set(self.views)
            self._follow()
        self.call_after_refresh(self._focus_view)

    def on_unmount(self) -> None:
        self.stop_following()

    def stop_following(self) -> None:
        """End the change stream's thread (it is blocked reading: closing the link wakes it)."""
        self._stop.set()
        self.link.close()

    # -- the change stream -------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="follow", exit_on_error=False)
    def _follow(self) -> None:
        self.link.follow(
            lambda change: self.post_message(DaemonChanged(change)),
            lambda connected, why: self.post_message(ConnectionState(connected, why)),
            self._stop,
        )

    def on_daemon_changed(self, message: DaemonChanged) -> None:
        for view in self.views.values():
            view.apply_change(message.change)

    def on_connection_state(self, message: ConnectionState) -> None:
        self.connected, self.why = message.connected, message.why
        self._show_state()
        if message.connected:
            self._stale = set(self.views) - {"trace"} | (
                {"trace"} if getattr(self.views["trace"], "run_id", None) else set()
            )
            self._reload_if_stale(self.current_view)

    def _show_state(self) -> None:
        if not self.live:
            state = "[dim]offline[/]"
        elif self.connected:
            state = "[green]● connected[/]"
        else:
            state = f"[bold red]○ disconnected — retrying[/] [dim]({self.why})[/]"
        self.query_one("#status-line", Static).update(f"[b]hatchet[/] {self.link.address}  {state}")

    def _reload_if_stale(self, name: str) -> None:
        if name in self._stale:
            self._stale.discard(name)
            self.views[name].reload()

    # -- switching views ---------------------------------------------------------------------

    @property
    def current_view(self) -> str:
        active = self.query_one("#views", TabbedContent).active
        return active.removeprefix("tab-") if active else "events"

    def action_show_view(self, name: str, remember: bool = True) -> None:
        """Show the view `name` (events, runs, workflows, workers, trace)."""
        current = self.current_view
        if name != current and remember:
            self.history.append(current)
        self.query_one("#views", TabbedContent).active = f"tab-{name}"
        self._focus_view()

    def on_tabbed_content_tab_activated(self, message: TabbedContent.TabActivated) -> None:
        self._reload_if_stale(self.current_view)
        self.call_after_refresh(self._focus_view)

    def _panes(self) -> list[Widget]:
        """What can take the focus in the shown view, top to bottom, left to right."""
        view = self.views[self.current_view]
        return [w for w in view.query("*") if w.focusable and w.display and w.visible]

    def _focus_view(self) -> None:
        """Focus the shown view's first pane that is not a filter box (its table), so its keys
        apply: a filter left shown must not take the view's keys when the view is shown again."""
        panes = self._panes()
        if self.focused in panes:
            return
        for widget in panes:
            if not isinstance(widget, Input):
                widget.focus()
                return

    def action_next_pane(self, step: int = 1) -> None:
        """`tab` / `shift+tab`: the focus to the view's next / previous pane, round."""
        panes = self._panes()
        if not panes:
            return
        here = panes.index(self.focused) if self.focused in panes else -step
        panes[(here + step) % len(panes)].focus()

    def action_next_view(self, step: int = 1) -> None:
        names = list(self.views)
        self.action_show_view(names[(names.index(self.current_view) + step) % len(names)])

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "go_back":
            return len(self.screen_stack) == 1 and not isinstance(self.focused, Input)
        if action == "next_pane":
            return len(self.screen_stack) == 1
        return True

    def action_copy_id(self) -> None:
        """`y`: copy the id of what the cursor is on (event, run, step, worker, workflow)."""
        selected = self.views[self.current_view].selected_id()
        if selected is None:
            self.notify("Nothing selected to copy.", severity="warning")
            return
        self.copy_to_clipboard(selected)
        self.notify(f"Copied {selected}")

    def action_go_back(self) -> None:
        """`esc`: undo the view's own narrowing (its filter), else show the view shown before."""
        undo = getattr(self.views[self.current_view], "undo_filter", None)
        if callable(undo) and undo():
            return
        if self.history:
            self.action_show_view(self.history.pop(), remember=False)

    def on_show_run(self, message: ShowRun) -> None:
        trace = self.views["trace"]
        show_run = getattr(trace, "show_run", None)
        if callable(show_run):
            show_run(message.run_id)
        self._stale.discard("trace")
        self.action_show_view("trace")

    def action_help(self) -> None:
        view = self.views[self.current_view]
        palette = (self.COMMAND_PALETTE_BINDING, "Command palette: views, theme, quit")
        everywhere = [*keys_of([self]), palette]
        self.push_screen(HelpScreen(view.TITLE, keys_of([view, *view.query("*")]), everywhere))

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        for name, view in self.views.items():
            yield SystemCommand(
                f"{view.TITLE} view",
                f"Show the {view.TITLE.lower()} view (key {view.KEY})",
                lambda name=name: self.action_show_view(name),
            )


def keys_of(nodes: Iterable[object]) -> list[tuple[str, str]]:
    """(keys, what they do) of every binding the TUI's own classes give `nodes` (their Textual
    base classes' bindings, such as a table's arrows, are left out), in the order declared: the
    help screen is made of them, so it lists every key there is and no other."""
    found: dict[tuple[str, str], None] = {}
    for node in nodes:
        for cls in reversed(type(node).__mro__):
            if not cls.__module__.startswith("hatchet_cli.") or "BINDINGS" not in cls.__dict__:
                continue
            for binding in cls.__dict__["BINDINGS"]:
                if isinstance(binding, Binding) and binding.description:
                    found[(key_names(binding), binding.description)] = None
    return list(found)


def key_names(binding: Binding) -> str:
    """A binding's keys as a person reads them: `home g`, `?`, `[`."""
    names = [_KEY_NAMES.get(key.strip(), key.strip()) for key in binding.key.split(",")]
    return binding.key_display or " ".join(names)


_KEY_NAMES = {
    "question_mark": "?",
    "slash": "/",
    "left_square_bracket": "[",
    "right_square_bracket": "]",
    "escape": "esc",
}


def make_tui(
    link: DaemonLink, *, live: bool = True, now: Callable[[], datetime] | None = None
) -> HatchetApp:
    """The app `hatchet tui` runs; `live=False` and a fixed `now` for snapshot tests."""
    return HatchetApp(link, live=live, now=now)
