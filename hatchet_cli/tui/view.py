"""What every view of the TUI is: a widget that loads its state and then follows changes.

The app shows one view at a time (switched with number keys, `tab` and the command palette). A
view reads what it shows through `self.link` in a thread worker when it is first shown and after
every reconnection (`reload()`), and applies each change of the stream as it arrives
(`apply_change()`), so it stays live without polling the history.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual.widget import Widget

from hatchet_cli.tui.link import DaemonLink

if TYPE_CHECKING:
    from hatchetd.contracts.changes import Change


class View(Widget):
    """One screen's worth of the TUI. Subclasses set `TITLE` and `KEY` and implement
    `reload()` and `apply_change()`."""

    TITLE: ClassVar[str] = ""
    """The view's name in the tab bar, the footer and the command palette."""
    KEY: ClassVar[str] = ""
    """The number key that shows it."""

    def __init__(self, link: DaemonLink, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.link = link

    def reload(self) -> None:
        """Read the state afresh from the daemon (start a thread worker; never block the loop).
        Called when the view is first shown and after the stream reconnects."""
        raise NotImplementedError

    def apply_change(self, change: Change) -> None:
        """Apply one change of the stream, on the app's loop."""
        raise NotImplementedError

    def selected_id(self) -> str | None:
        """The id of what the cursor is on, for `y` to copy (None: nothing)."""
        return None
