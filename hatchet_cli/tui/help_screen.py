"""`?`: the keys of the whole app and of the view that is shown, made from their bindings
(`app.keys_of`), so that the screen cannot list a key that does not exist or miss one."""

from __future__ import annotations

from rich.table import Table
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Label, Static


class HelpScreen(ModalScreen[None]):
    """The keys of `view_title`'s view and `everywhere` (each: keys, what they do)."""

    BINDINGS = [Binding("escape,q,question_mark", "close", "Close")]

    def __init__(
        self,
        view_title: str,
        view_keys: list[tuple[str, str]],
        everywhere: list[tuple[str, str]],
    ) -> None:
        super().__init__()
        self.view_title = view_title
        self.view_keys = view_keys
        self.everywhere = everywhere

    def compose(self) -> ComposeResult:
        with Vertical(id="help-dialog", classes="dialog"):
            yield Label("Keys  (esc to close)", id="help-title")
            with VerticalScroll():
                yield Static(self._table("Everywhere", self.everywhere))
                if self.view_keys:
                    yield Static(self._table(self.view_title, self.view_keys))

    @staticmethod
    def _table(title: str, keys: list[tuple[str, str]]) -> Table:
        table = Table(title=title, title_justify="left", show_header=False, box=None)
        table.add_column(style="bold cyan", no_wrap=True)
        table.add_column()
        for key, description in keys:
            table.add_row(key, description)
        return table

    def action_close(self) -> None:
        self.dismiss(None)
