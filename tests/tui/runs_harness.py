"""A small app for the runs and trace views' tests: the views with a `DaemonLink` to a real
daemon served in-process (as `tests/cli/conftest.py` serves it), fed the change stream by a
follower thread, with `ShowRun` answered as the real app answers it."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from textual.app import App, ComposeResult

from hatchet_cli.tui.link import DaemonLink
from hatchet_cli.tui.messages import ConnectionState, DaemonChanged, ShowRun
from hatchet_cli.tui.runs_view import RunsView
from hatchet_cli.tui.trace_view import TraceView

if TYPE_CHECKING:
    from hatchetd.contracts.changes import Change

SIGN_UP = "post-user-sign-up"
USER = {"user": {"firstName": "Ada", "email": "ada@example.com"}}


class RunsApp(App[None]):
    """The runs view above the trace view; with `follow`, the change stream feeds both."""

    CSS = "RunsView, TraceView { height: 1fr; }"

    def __init__(self, link: DaemonLink, *, follow: bool = True) -> None:
        super().__init__()
        self.link = link
        self.follow = follow
        self.connected = False
        self.shown: list[str] = []
        """The run ids of the `ShowRun` messages the runs view posted."""
        self.applied: list[str | None] = []
        """The run ids of the changes from the stream, once both views have applied them."""
        self.runs_view = RunsView(link, id="runs")
        self.trace_view = TraceView(link, id="trace")
        self._stop = threading.Event()
        self._follower: threading.Thread | None = None

    def compose(self) -> ComposeResult:
        yield self.runs_view
        yield self.trace_view

    def on_mount(self) -> None:
        if self.follow:
            self._follower = threading.Thread(target=self._read_changes, daemon=True)
            self._follower.start()

    def _read_changes(self) -> None:
        def changed(change: Change) -> None:
            self.post_message(DaemonChanged(change))

        def state(connected: bool, why: str) -> None:
            self.post_message(ConnectionState(connected, why))

        try:
            self.link.follow(changed, state, self._stop)
        except (AttributeError, ValueError, OSError):
            # `link.close()` closes the stream's connection under the reading thread, which
            # http.client reports as whatever it was doing; only while stopping is that expected.
            if not self._stop.is_set():
                raise

    def on_daemon_changed(self, message: DaemonChanged) -> None:
        self.runs_view.apply_change(message.change)
        self.trace_view.apply_change(message.change)
        self.applied.append(message.change.run_id)

    def on_connection_state(self, message: ConnectionState) -> None:
        self.connected = message.connected
        if message.connected:
            self.runs_view.reload()
            self.trace_view.reload()

    def on_show_run(self, message: ShowRun) -> None:
        self.shown.append(message.run_id)
        self.trace_view.show_run(message.run_id)
        self.trace_view.trace_tree.focus()

    def on_unmount(self) -> None:
        self._stop.set()
        self.link.close()
        if self._follower is not None:
            self._follower.join(5)
