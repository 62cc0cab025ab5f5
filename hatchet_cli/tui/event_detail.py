"""One event in full: the detail pane beside the events table, and the payload editor.

The pane shows the event's key, id, time and origin, its payload as highlighted JSON and the
workflow runs it triggered (select one, `enter` or a click, to see its trace). The editor (`e` in
the events view) is a modal with the payload in a text area: `ctrl+s` replays the event with the
edited data, once it is a JSON object; `esc` leaves without replaying.
"""

from __future__ import annotations

import json
from typing import Any

from rich.syntax import Syntax
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import DataTable, Label, Static, TextArea

from hatchet_cli.tui.lists import ListTable
from hatchet_cli.tui.messages import ShowRun

STATUS_STYLES = {
    "SUCCEEDED": "green",
    "FAILED": "bold red",
    "CANCELLED": "yellow",
    "USER_CANCELLED": "yellow",
    "TIMED_OUT": "bold red",
    "RUNNING": "cyan",
    "PENDING": "dim",
    "QUEUED": "dim",
}


def status_text(status: str | None) -> Text:
    """A run or step status, coloured by what it means."""
    value = status or "?"
    return Text(value, style=STATUS_STYLES.get(value, ""))


def payload_json(data: Any) -> str:
    """A payload as the JSON the pane shows and the editor starts from."""
    return json.dumps(data, indent=2, sort_keys=False, ensure_ascii=False)


class EventDetailPane(Vertical):
    """The selected event: key, id, payload and the runs it triggered."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.event: dict[str, Any] | None = None
        self.runs: dict[str, dict[str, Any]] = {}

    def compose(self) -> ComposeResult:
        yield Static("No event selected.", id="event-header")
        with VerticalScroll(id="event-payload-scroll"):
            yield Static("", id="event-payload")
        yield Label("Runs", classes="section-title")
        runs = ListTable(id="event-runs")
        runs.add_columns("run", "workflow", "status")
        yield runs

    @property
    def runs_table(self) -> ListTable:
        return self.query_one("#event-runs", ListTable)

    def enter_runs(self) -> None:
        """Focus the runs, the cursor on the first (`enter` there shows its trace)."""
        table = self.runs_table
        table.move_cursor(row=0, animate=False)
        table.focus()

    def show(self, event: dict[str, Any] | None, runs: list[dict[str, Any]] | None = None) -> None:
        """Show `event` (an `Event` document) and `runs` (its `WorkflowRun` documents); runs
        the event names but that are not given are listed by id until they are known."""
        self.event = event
        header = self.query_one("#event-header", Static)
        payload = self.query_one("#event-payload", Static)
        if event is None:
            header.update("No event selected.")
            payload.update("")
            self.runs = {}
            self._show_runs()
            return
        lines = Text()
        lines.append(event["key"], style="bold")
        lines.append(f"  {event['id']}\n", style="dim")
        lines.append(f"created {event['created_at']}")
        if event.get("replayed_from_id"):
            lines.append(f"\nreplay of {event['replayed_from_id']}", style="italic")
        if event.get("replay_ids"):
            lines.append(f"\nreplayed as {', '.join(event['replay_ids'])}", style="italic")
        header.update(lines)
        payload.update(Syntax(payload_json(event.get("data", {})), "json", theme="ansi_dark"))
        known = {run["id"]: run for run in runs or []}
        self.runs = {
            run_id: known.get(run_id, {"id": run_id})
            for run_id in [*event.get("run_ids", []), *known]
        }
        self._show_runs()

    def apply_run(self, run: dict[str, Any]) -> None:
        """A run changed: update its row if it belongs to the shown event."""
        if self.event is None or run.get("event_id") != self.event["id"]:
            return
        self.runs[run["id"]] = run
        self._show_runs()

    def _show_runs(self) -> None:
        table = self.query_one("#event-runs", DataTable)
        table.clear()
        for run_id, run in self.runs.items():
            table.add_row(
                run_id[:8],
                run.get("workflow_name", ""),
                status_text(run.get("status")),
                key=run_id,
            )
        if not self.runs:
            table.add_row(Text("(no runs)", style="dim"), "", "", key="")

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        if event.data_table.id != "event-runs":
            return
        event.stop()
        if event.row_key.value:
            self.post_message(ShowRun(event.row_key.value))


class EditPayloadScreen(ModalScreen[dict[str, Any] | None]):
    """Edit an event's payload; dismissed with the new data (replay it) or None (cancel)."""

    BINDINGS = [
        Binding("ctrl+s", "replay", "Replay with this data", priority=True),
        Binding("escape", "cancel", "Cancel"),
    ]

    def __init__(self, event: dict[str, Any]) -> None:
        super().__init__()
        self.event = event

    def compose(self) -> ComposeResult:
        with Vertical(id="edit-dialog", classes="dialog"):
            yield Label(
                f"Replay {self.event['key']} with this data  (ctrl+s replay · esc cancel)",
                id="edit-title",
            )
            yield TextArea(payload_json(self.event.get("data", {})), id="edit-payload")
            yield Static("", id="edit-error")

    def on_mount(self) -> None:
        self.query_one("#edit-payload", TextArea).focus()

    def parse(self) -> dict[str, Any] | str:
        """The edited data, or why it is not a payload."""
        text = self.query_one("#edit-payload", TextArea).text
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            return f"not JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}"
        if not isinstance(data, dict):
            return "a payload is a JSON object: {...}"
        return data

    def action_replay(self) -> None:
        data = self.parse()
        if isinstance(data, str):
            self.query_one("#edit-error", Static).update(Text(data, style="bold red"))
            return
        self.dismiss(data)

    def action_cancel(self) -> None:
        self.dismiss(None)
