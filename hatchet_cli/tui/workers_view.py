"""The workers view: who serves which actions, how many slots are busy, and who is lost.

Read from `GET /api/v1/workers`; a `worker` or `step_run` change (a worker joining, leaving, being
lost, or taking or finishing a step) rereads it, at most once per `SETTLE` seconds. The heartbeat
ages count up every second on their own.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.widgets import DataTable, Static

from hatchet_cli.tui.link import DaemonLink
from hatchet_cli.tui.lists import ListTable
from hatchet_cli.tui.view import View

if TYPE_CHECKING:
    from hatchetd.contracts.changes import Change

SETTLE = 0.3
"""Seconds to gather changes before rereading the workers."""

STATUS_STYLES = {
    "ACTIVE": "green",
    "DRAINING": "yellow",
    "LOST": "bold red reverse",
    "STOPPED": "dim",
}
CONNECTED = ("ACTIVE", "DRAINING")
"""Statuses of a worker whose socket is open (a draining one still finishes its steps)."""


def age(since: str, now: datetime) -> str:
    """How long ago `since` (RFC 3339) was, in whole units: `4s`, `3m`, `2h`, `5d`."""
    moment = datetime.fromisoformat(since.replace("Z", "+00:00"))
    seconds = max(0, int((now - moment).total_seconds()))
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit} ago"
    return f"{seconds}s ago"


class WorkersView(View):
    """Every worker the daemon knows, newest registration first."""

    TITLE = "Workers"
    KEY = "4"

    def __init__(self, link: DaemonLink, *, id: str | None = None) -> None:
        super().__init__(link, id=id)
        self.worker_infos: list[dict[str, Any]] = []
        self._pending = False
        self._ticks = 0

    def compose(self) -> ComposeResult:
        table = ListTable(id="workers-table")
        table.add_column("name", key="name")
        table.add_column("id", key="id")
        table.add_column("status", key="status")
        table.add_column("slots", key="slots")
        table.add_column("heartbeat", key="heartbeat")
        table.add_column("actions", key="actions")
        yield table
        yield Static("", id="workers-summary", classes="view-summary")

    def on_mount(self) -> None:
        self.set_interval(1.0, self._tick)

    def selected_id(self) -> str | None:
        return self.query_one("#workers-table", ListTable).selected_key

    def now(self) -> datetime:
        clock = getattr(self.app, "now", None)
        return clock() if callable(clock) else datetime.now(UTC)

    def reload(self) -> None:
        self._pending = False
        self._read()

    @work(thread=True, group="workers", exclusive=True, exit_on_error=False)
    def _read(self) -> None:
        try:
            workers = self.link.call(lambda c: c.workers.list())
        except Exception:
            return
        documents = [info.model_dump(mode="json") for info in workers]
        self.app.call_from_thread(self.show_workers, documents)

    def show_workers(self, workers: list[dict[str, Any]]) -> None:
        """Show `WorkerInfo` documents (the worker and the step runs it holds)."""
        self.worker_infos = workers
        table = self.query_one("#workers-table", DataTable)
        cursor = table.cursor_row
        table.clear()
        now = self.now()
        for info in workers:
            worker = info["worker"]
            status = worker["status"]
            busy = len(info["running_step_run_ids"])
            table.add_row(
                Text(worker["name"], style="bold" if status in CONNECTED else "strike dim"),
                worker["id"][:8],
                Text(status, style=STATUS_STYLES.get(status, "")),
                f"{busy}/{worker['slots']}",
                age(worker["last_heartbeat_at"], now),
                ", ".join(worker["actions"]),
                key=worker["id"],
            )
        if workers:
            table.move_cursor(row=min(cursor, len(workers) - 1), animate=False)
        active = sum(info["worker"]["status"] == "ACTIVE" for info in workers)
        lost = sum(info["worker"]["status"] == "LOST" for info in workers)
        draining = sum(info["worker"]["status"] == "DRAINING" for info in workers)
        summary = f"{active} active · {lost} lost · {len(workers)} known"
        if draining:
            summary = f"{active} active · {draining} draining · {lost} lost · {len(workers)} known"
        self.query_one("#workers-summary", Static).update(summary)

    def _tick(self) -> None:
        self._ticks += 1
        # Heartbeats are not changes (too many): reread now and then while shown.
        if self._ticks % 5 == 0 and self.is_on_screen and getattr(self.app, "live", False):
            self.reload()
        table = self.query_one("#workers-table", DataTable)
        now = self.now()
        for info in self.worker_infos:
            worker = info["worker"]
            if worker["id"] in table.rows:
                table.update_cell(worker["id"], "heartbeat", age(worker["last_heartbeat_at"], now))

    def apply_change(self, change: Change) -> None:
        if change.kind in ("worker", "step_run") and not self._pending:
            self._pending = True
            self.set_timer(SETTLE, self.reload)
