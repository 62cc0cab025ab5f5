"""The input of a run started by hand (`r` in the workflows view): a modal with the input as JSON
in a text area, `{}` to begin with. `ctrl+s` starts the run once the text is a JSON object; `esc`
leaves without starting it."""

from __future__ import annotations

import json
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, Static, TextArea


class RunInputScreen(ModalScreen[dict[str, Any] | None]):
    """Type the input of a run of `workflow`; dismissed with it (start the run) or None."""

    BINDINGS = [
        Binding("ctrl+s", "start", "Start the run", priority=True),
        Binding("escape", "cancel", "Cancel"),
    ]

    def __init__(self, workflow: str) -> None:
        super().__init__()
        self.workflow = workflow

    def compose(self) -> ComposeResult:
        with Vertical(id="run-dialog", classes="dialog"):
            yield Label(
                f"Run {self.workflow} with this input  (ctrl+s run · esc cancel)", id="run-title"
            )
            yield TextArea("{}", id="run-input")
            yield Static("", id="run-error")

    def on_mount(self) -> None:
        self.query_one("#run-input", TextArea).focus()

    def parse(self) -> dict[str, Any] | str:
        """The input typed, or why it is not one."""
        text = self.query_one("#run-input", TextArea).text
        try:
            value = json.loads(text)
        except json.JSONDecodeError as exc:
            return f"not JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}"
        if not isinstance(value, dict):
            return "a run's input is a JSON object: {...}"
        return value

    def action_start(self) -> None:
        value = self.parse()
        if isinstance(value, str):
            self.query_one("#run-error", Static).update(Text(value, style="bold red"))
            return
        self.dismiss(value)

    def action_cancel(self) -> None:
        self.dismiss(None)
