"""The events view: the event history, newest first, live; filter, inspect and replay.

Only the newest page (`PAGE` events) is read when the view opens, so it opens as fast on 100,000
events as on ten; `m` (or moving the cursor onto the last row) reads the next page. Events the
daemon stores from then on arrive through the change stream and are put on top.

The filter (`/`) takes words: `key=PATTERN` narrows by key on the daemon (`*` matches a segment,
as `hatchet events list --key`), `PATH=VALUE` by a payload value on the daemon (`user.plan=pro`;
the value is read as JSON when it parses, else as text), and any other word keeps the loaded
events whose key or payload contains it (case-insensitive, over the events read so far).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.widgets import DataTable, Input, Static

from hatchet_cli.tui.confirm import ConfirmScreen
from hatchet_cli.tui.event_detail import EditPayloadScreen, EventDetailPane
from hatchet_cli.tui.link import DaemonLink
from hatchet_cli.tui.lists import ListTable
from hatchet_cli.tui.messages import EventReplayed
from hatchet_cli.tui.view import View

if TYPE_CHECKING:
    from hatchetd.contracts.changes import Change

PAGE = 200
"""How many events one read brings."""


@dataclass(frozen=True)
class EventFilter:
    """What the filter input asked for."""

    key: str | None = None
    """A key pattern for the daemon (`user:*`)."""
    where: tuple[tuple[str, Any], ...] = ()
    """Payload values by dot path, for the daemon."""
    words: tuple[str, ...] = field(default=())
    """Text the key or payload must contain (checked here, lower-cased)."""

    @classmethod
    def parse(cls, text: str) -> EventFilter:
        key: str | None = None
        where: list[tuple[str, Any]] = []
        words: list[str] = []
        for token in text.split():
            name, equals, value = token.partition("=")
            if not equals or not name:
                words.append(token.lower())
            elif name == "key":
                key = value or None
            else:
                try:
                    where.append((name, json.loads(value)))
                except json.JSONDecodeError:
                    where.append((name, value))
        return cls(key, tuple(where), tuple(words))

    def keeps(self, event: dict[str, Any]) -> bool:
        """Whether the text words all appear in the event's key or payload."""
        if not self.words:
            return True
        haystack = f"{event['key']} {json.dumps(event.get('data', {}))}".lower()
        return all(word in haystack for word in self.words)

    def server_side(self) -> bool:
        return self.key is not None or bool(self.where)

    def matches_new(self, event: dict[str, Any]) -> bool:
        """Whether an event arriving on the stream belongs in the filtered table."""
        if self.key is not None and not _key_matches(self.key, event["key"]):
            return False
        for path, value in self.where:
            found: Any = event.get("data", {})
            for part in path.split("."):
                if not isinstance(found, dict) or part not in found:
                    return False
                found = found[part]
            if found != value:
                return False
        return self.keeps(event)


def _key_matches(pattern: str, key: str) -> bool:
    """The API's key patterns: exact, or `*` standing for one `:`-separated segment."""
    parts, keys = pattern.split(":"), key.split(":")
    return len(parts) == len(keys) and all(p in ("*", k) for p, k in zip(parts, keys, strict=True))


class EventsTable(ListTable):
    """The events: `enter` or `right` on one goes into its runs (in the detail pane)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter,right", "select_cursor", "Into the event's runs", show=False),
    ]


class EventsView(View):
    """Every event, newest first, with the selected one's detail."""

    TITLE = "Events"
    KEY = "1"
    BINDINGS = [
        Binding("slash", "filter", "Filter"),
        Binding("r", "replay", "Replay"),
        Binding("e", "edit_replay", "Edit & replay"),
        Binding("m", "more", "More"),
        Binding("escape", "clear_filter", "Clear filter", show=False),
    ]

    def __init__(self, link: DaemonLink, *, id: str | None = None) -> None:
        super().__init__(link, id=id)
        self.events: list[dict[str, Any]] = []
        """The events read so far (and arrived since), newest first."""
        self.next_cursor: str | None = None
        self.filter = EventFilter()
        self.reading = False
        self._generation = 0
        """Counts full reloads: a page read for an older one is dropped, not shown."""

    def compose(self) -> ComposeResult:
        # Hidden from the start, not from on_mount: the screen focuses its first focusable
        # widget as it mounts, and a filter input holding the focus would swallow `3`, `q`, ...
        filter_input = Input(placeholder="key=user:*  user.plan=pro  text…", id="events-filter")
        filter_input.display = False
        yield filter_input
        with Horizontal(id="events-body"):
            table = EventsTable(id="events-table")
            table.add_column("created", key="created")
            table.add_column("key", key="key")
            table.add_column("id", key="id")
            table.add_column("runs", key="runs")
            table.add_column("payload", key="payload")
            yield table
            yield EventDetailPane(id="event-detail")
        yield Static("", id="events-summary", classes="view-summary")

    # -- reading -----------------------------------------------------------------------------

    def reload(self) -> None:
        self._generation += 1
        self.reading = True
        self._read_page(None, self._generation)

    def action_more(self) -> None:
        if self.next_cursor is not None and not self.reading:
            self.reading = True
            self._read_page(self.next_cursor, self._generation)

    @work(thread=True, group="events-page", exit_on_error=False)
    def _read_page(self, cursor: str | None, generation: int) -> None:
        wanted = self.filter
        try:
            page = self.link.call(
                lambda c: c.events.list(
                    key=wanted.key, where=list(wanted.where), limit=PAGE, cursor=cursor
                )
            )
        except Exception as exc:  # the connection state line says why; keep what is shown
            self.app.call_from_thread(self._read_failed, str(exc))
            return
        items = [event.model_dump(mode="json") for event in page.items]
        if wanted != self.filter:
            return  # the filter changed while this page was read: a newer read is on its way
        self.app.call_from_thread(
            self._page_read, generation, items, page.next_cursor, cursor is not None
        )

    def _page_read(
        self, generation: int, items: list[dict[str, Any]], next_cursor: str | None, append: bool
    ) -> None:
        # Two reloads can overlap (the view shown, then the stream connecting): only the last
        # one's pages count, or a late first page would wipe out a page read after it.
        if generation == self._generation:
            self.show_events(items, next_cursor, append)

    def _read_failed(self, why: str) -> None:
        self.reading = False
        self.query_one("#events-summary", Static).update(Text(f"could not read: {why}", "red"))

    # -- showing -----------------------------------------------------------------------------

    def show_events(
        self, events: list[dict[str, Any]], next_cursor: str | None = None, append: bool = False
    ) -> None:
        """Show `events` (`Event` documents, newest first): the table's rows, or more of them."""
        self.reading = False
        self.events = [*self.events, *events] if append else list(events)
        self.next_cursor = next_cursor
        self._fill_table()

    def visible_events(self) -> list[dict[str, Any]]:
        return [event for event in self.events if self.filter.keeps(event)]

    def selected_event(self) -> dict[str, Any] | None:
        key = self.query_one("#events-table", EventsTable).selected_key
        return next((event for event in self.events if event["id"] == key), None)

    def selected_id(self) -> str | None:
        """The run under the cursor when the event's runs have the focus, else the event."""
        pane = self.query_one(EventDetailPane)
        if pane.runs_table.has_focus:
            return pane.runs_table.selected_key or None
        event = self.selected_event()
        return event["id"] if event is not None else None

    def on_data_table_row_selected(self, message: DataTable.RowSelected) -> None:
        """`enter` or `right` on an event: the focus into its runs, on the first."""
        if message.data_table.id != "events-table":
            return
        message.stop()
        self.query_one(EventDetailPane).enter_runs()

    def _fill_table(self) -> None:
        table = self.query_one("#events-table", DataTable)
        selected = self.selected_event()
        table.clear()
        shown = self.visible_events()
        for event in shown:
            table.add_row(*self._cells(event), key=event["id"])
        if selected is not None and any(e["id"] == selected["id"] for e in shown):
            table.move_cursor(row=table.get_row_index(selected["id"]), animate=False)
        more = " · m: more" if self.next_cursor else ""
        summary = f"{len(shown)} shown · {len(self.events)} read{more}"
        if self.filter != EventFilter():
            summary += " · esc: clear filter"
        self.query_one("#events-summary", Static).update(summary)
        if not shown:
            self.query_one(EventDetailPane).show(None)

    @staticmethod
    def _cells(event: dict[str, Any]) -> tuple[Any, ...]:
        created = str(event["created_at"]).replace("T", " ")[:19]
        payload = json.dumps(event.get("data", {}), separators=(",", ":"))
        key = Text(event["key"], style="bold")
        if event.get("replayed_from_id"):
            key.append(" ↺", style="cyan")
        return created, key, event["id"][:8], str(len(event.get("run_ids", []))), payload[:60]

    def on_data_table_row_highlighted(self, message: DataTable.RowHighlighted) -> None:
        if message.data_table.id != "events-table":
            return
        event = self.selected_event()
        self.query_one(EventDetailPane).show(event)
        if event is not None and event.get("run_ids"):
            self._read_runs(event["id"])
        at_end = message.cursor_row >= message.data_table.row_count - 1
        if at_end and not self.filter.words:  # under a text filter, `m` reads on: no runaway
            self.action_more()

    @work(thread=True, group="event-runs", exclusive=True, exit_on_error=False)
    def _read_runs(self, event_id: str) -> None:
        try:
            detail = self.link.call(lambda c: c.events.show(event_id))
        except Exception:
            return  # the pane keeps listing the runs by id
        runs = [run.model_dump(mode="json") for run in detail.runs]
        self.app.call_from_thread(self._show_runs_of, event_id, runs)

    def _show_runs_of(self, event_id: str, runs: list[dict[str, Any]]) -> None:
        pane = self.query_one(EventDetailPane)
        if pane.event is not None and pane.event["id"] == event_id:
            pane.show(pane.event, runs)

    # -- live --------------------------------------------------------------------------------

    def apply_change(self, change: Change) -> None:
        if change.kind == "event":
            event = {"run_ids": [], "replay_ids": [], **change.record}
            if any(known["id"] == event["id"] for known in self.events):
                return
            if self.filter.matches_new(event):
                self.events.insert(0, event)
                self._fill_table()
            origin = event.get("replayed_from_id")
            if origin:
                self._update(origin, "replay_ids", event["id"])
        elif change.kind == "run" and change.record.get("event_id"):
            run = change.record
            self._update(run["event_id"], "run_ids", run["id"])
            self.query_one(EventDetailPane).apply_run(run)

    def _update(self, event_id: str, field_name: str, value: str) -> None:
        for event in self.events:
            if event["id"] == event_id:
                if value not in event.setdefault(field_name, []):
                    event[field_name].append(value)
                    table = self.query_one("#events-table", DataTable)
                    if field_name == "run_ids" and event_id in table.rows:
                        table.update_cell(event_id, "runs", str(len(event["run_ids"])))
                return

    # -- filter ------------------------------------------------------------------------------

    def action_filter(self) -> None:
        box = self.query_one("#events-filter", Input)
        box.display = True
        box.focus()

    def on_input_submitted(self, message: Input.Submitted) -> None:
        if message.input.id != "events-filter":
            return
        message.stop()
        self.set_filter(message.value)
        self.query_one("#events-table", DataTable).focus()

    def set_filter(self, text: str) -> None:
        """Filter as the `/` input does (see the module's docstring)."""
        old, self.filter = self.filter, EventFilter.parse(text)
        box = self.query_one("#events-filter", Input)
        box.value = text
        box.display = bool(text)
        if (old.key, old.where) != (self.filter.key, self.filter.where):
            self.events, self.next_cursor = [], None
            self._fill_table()
            self.reload()
        else:
            self._fill_table()

    def action_clear_filter(self) -> None:
        """`esc` in the filter input: clear the filter."""
        self.undo_filter()

    def undo_filter(self) -> bool:
        """Clear the filter, if there is one (what `esc` does first); whether there was."""
        if self.filter == EventFilter() and not self.query_one("#events-filter", Input).display:
            return False
        self.set_filter("")
        self.query_one("#events-table", DataTable).focus()
        return True

    # -- replay ------------------------------------------------------------------------------

    def action_replay(self) -> None:
        event = self.selected_event()
        if event is None:
            self.notify("No event selected.", severity="warning")
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self._replay(event["id"], None)

        question = f"Replay event {event['key']} ({event['id'][:8]}) with its payload?"
        self.app.push_screen(ConfirmScreen(question), answered)

    def action_edit_replay(self) -> None:
        event = self.selected_event()
        if event is None:
            self.notify("No event selected.", severity="warning")
            return

        def edited(data: dict[str, Any] | None) -> None:
            if data is not None:
                self._replay(event["id"], data)

        self.app.push_screen(EditPayloadScreen(event), edited)

    @work(thread=True, group="replay", exit_on_error=False)
    def _replay(self, event_id: str, data: dict[str, Any] | None) -> None:
        try:
            result = self.link.call(lambda c: c.events.replay([event_id], data=data))
        except Exception as exc:
            self.app.call_from_thread(
                self.notify, f"Replay failed: {exc}", severity="error", timeout=8
            )
            return
        new_ids = [event.id for event in result.events]
        self.post_message(EventReplayed(event_id, new_ids, edited=data is not None))
        shown = ", ".join(new_id[:8] for new_id in new_ids)
        self.app.call_from_thread(self.notify, f"Replayed {event_id[:8]} as {shown}")
