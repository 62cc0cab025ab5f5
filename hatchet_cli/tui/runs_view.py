"""The runs view: the newest workflow runs as a live table, filtered by workflow and status.

The history can hold 100,000 runs: the view reads one page (newest first) and more on request,
never the whole. After that it follows the change stream: a new run goes on top, a run that
changes state is updated in place. `enter` on a run posts `ShowRun`, which the app answers with
the run's trace.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import DataTable, Input, Static

from hatchet_cli._cells import short, trigger_text, when
from hatchet_cli.client import DaemonUnreachable, HatchetError
from hatchet_cli.tui.link import DaemonLink
from hatchet_cli.tui.lists import ListTable
from hatchet_cli.tui.messages import ShowRun
from hatchet_cli.tui.view import View
from hatchet_cli.tui.waterfall_bar import duration, status_text

if TYPE_CHECKING:
    from hatchetd.contracts.changes import Change
    from hatchetd.contracts.runs import WorkflowRun

__all__ = ["STATUS_FILTERS", "RunsView"]

STATUS_FILTERS: tuple[str | None, ...] = (None, "RUNNING", "FAILED", "SUCCEEDED", "CANCELLED")
"""What `s` cycles through: every run, then runs in one state."""

MORE = "more"
"""The key of the table's last row while there are older runs to load."""


class RunsView(View):
    """The newest runs: id, workflow, status, trigger, creation time and how long each took."""

    TITLE = "Runs"
    KEY = "2"
    PAGE_SIZE: ClassVar[int] = 100
    """Runs read at a time: the first page, then one more each time the last row is chosen."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("slash", "filter_workflow", "Workflow filter"),
        Binding("s", "cycle_status", "Status filter"),
        Binding("m", "load_more", "More runs", show=False),
        Binding("escape", "close_filter", "Close filter", show=False),
    ]

    DEFAULT_CSS = """
    RunsView { height: 1fr; }
    RunsView #runs-filters { height: 1; padding: 0 1; color: $text-muted; }
    RunsView #runs-workflow { display: none; }
    RunsView #runs-workflow.-open { display: block; }
    RunsView DataTable { height: 1fr; }
    """

    def __init__(self, link: DaemonLink, *, id: str | None = None) -> None:
        super().__init__(link, id=id)
        self.runs: dict[str, WorkflowRun] = {}
        """The runs shown, by id, newest first (dicts keep their order)."""
        self.next_cursor: str | None = None
        """Where the next page starts; None when the oldest run is shown."""
        self.workflow: str | None = None
        """Only runs of this workflow (`/`), or every workflow."""
        self.status: str | None = None
        """Only runs in this state (`s`), or every state."""
        self.now: datetime | None = None
        """The time durations of unfinished runs are measured to; None: the clock."""
        self._loading = False
        self._held: list[Change] = []
        self._generation = 0

    def compose(self) -> ComposeResult:
        yield Static(id="runs-filters")
        yield Input(placeholder="workflow name (empty: every workflow)", id="runs-workflow")
        table = ListTable(id="runs-table", zebra_stripes=False)
        table.add_column("run", key="id", width=8)
        table.add_column("workflow", key="workflow")
        table.add_column("status", key="status", width=9)
        table.add_column("trigger", key="trigger")
        table.add_column("created (UTC)", key="created", width=19)
        table.add_column("took", key="took", width=8)
        yield table

    def on_mount(self) -> None:
        self._show_filters()
        self.set_interval(1.0, self._tick)

    def _tick(self) -> None:
        """Count up how long the unfinished runs shown have taken so far."""
        if self.now is not None:
            return  # a fixed time (the snapshots): nothing moves
        for run in self.runs.values():
            if not run.status.is_final and run.id in self.table.rows:
                self._update_row(run)

    @property
    def table(self) -> ListTable:
        return self.query_one("#runs-table", ListTable)

    # Loading: thread workers read, the loop shows.

    def reload(self) -> None:
        """Read the first page afresh (after a filter change, or a reconnection)."""
        self._generation += 1
        self._loading = True
        self._held = []
        self._load(self._generation, None)

    def action_load_more(self) -> None:
        if self.next_cursor is not None and not self._loading:
            self._loading = True
            self._load(self._generation, self.next_cursor)

    @work(thread=True, group="runs-load")
    def _load(self, generation: int, cursor: str | None) -> None:
        workflow, statuses = self.workflow, [self.status] if self.status else []
        try:
            page = self.link.call(
                lambda c: c.runs.list(
                    workflow=workflow, statuses=statuses, limit=self.PAGE_SIZE, cursor=cursor
                )
            )
        except (DaemonUnreachable, HatchetError) as exc:
            self.app.call_from_thread(self._failed, generation, str(exc))
            return
        if generation == self._generation:
            self.app.call_from_thread(
                self.show_runs, page.items, page.next_cursor, append=cursor is not None
            )

    def _failed(self, generation: int, why: str) -> None:
        if generation == self._generation:
            self._loading = False
        self.notify(f"Could not read the runs: {why}", severity="error")

    # Display: pure, fed records (the tests feed fixed ones).

    def show_runs(
        self, runs: list[WorkflowRun], next_cursor: str | None, *, append: bool = False
    ) -> None:
        """Show a page of runs (newest first): in place of what is shown, or after it."""
        if not append:
            self.runs = {}
        for run in runs:
            self.runs.setdefault(run.id, run)
        self.next_cursor = next_cursor
        self._loading = False
        held, self._held = self._held, []
        # Changes that came while the page was being read: the page may predate them.
        for change in held:
            self.apply_change(change)
        self._fill()

    def apply_change(self, change: Change) -> None:
        """A new run goes on top if the filters let it in; a known run is updated in place."""
        if change.kind != "run":
            return
        if self._loading:
            self._held.append(change)
        from hatchetd.contracts.runs import WorkflowRun

        run = WorkflowRun.model_validate(change.record)
        known = self.runs.get(run.id)
        if known is not None:
            if known.status.is_final and not run.status.is_final:
                return  # an older write than what is shown (re-applied after a page was read)
            self.runs[run.id] = run
            if self.is_mounted and run.id in self.table.rows:
                self._update_row(run)
            return
        if not self._matches(run):
            return
        self.runs = {run.id: run, **self.runs}
        if self.is_mounted:
            self._fill()

    def _matches(self, run: WorkflowRun) -> bool:
        if self.workflow is not None and run.workflow_name != self.workflow:
            return False
        return self.status is None or run.status.value == self.status

    def _fill(self) -> None:
        """Rebuild the table from `self.runs`, keeping the cursor on the same run."""
        table = self.table
        selected = self.selected_run_id
        table.clear()
        for run in self.runs.values():
            table.add_row(*self._cells(run), key=run.id)
        if self.next_cursor is not None:
            table.add_row(
                Text("…", style="dim"), Text("older runs: enter (or m)", style="dim"), key=MORE
            )
        if selected is not None and selected in table.rows:
            table.move_cursor(row=table.get_row_index(selected), animate=False)
        self._show_filters()

    def _cells(self, run: WorkflowRun) -> tuple[str | Text, ...]:
        trigger = trigger_text(run)
        return (
            short(run.id),
            run.workflow_name,
            status_text(run.status.value),
            trigger,
            when(run.created_at),
            duration(run.started_at, run.finished_at, self.now or datetime.now(UTC)),
        )

    def _update_row(self, run: WorkflowRun) -> None:
        cells = self._cells(run)
        self.table.update_cell(run.id, "status", cells[2])
        self.table.update_cell(run.id, "took", cells[5])

    def _show_filters(self) -> None:
        more = "+" if self.next_cursor is not None else ""
        self.query_one("#runs-filters", Static).update(
            f"workflow: {self.workflow or 'all'}   status: {self.status or 'all'} (s)   "
            f"{len(self.runs)}{more} runs   / filter workflow"
        )

    @property
    def selected_run_id(self) -> str | None:
        """The run under the cursor, if any."""
        key = self.table.selected_key
        return None if key == MORE else key

    def selected_id(self) -> str | None:
        return self.selected_run_id

    # Actions.

    @on(DataTable.RowSelected, "#runs-table")
    def _selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        if event.row_key.value == MORE:
            self.action_load_more()
        elif event.row_key.value is not None:
            self.post_message(ShowRun(event.row_key.value))

    def action_cycle_status(self) -> None:
        """Show runs in the next state of `STATUS_FILTERS` (read from the daemon)."""
        self.status = STATUS_FILTERS[(STATUS_FILTERS.index(self.status) + 1) % len(STATUS_FILTERS)]
        self._show_filters()
        self.reload()

    def action_filter_workflow(self) -> None:
        field = self.query_one("#runs-workflow", Input)
        field.value = self.workflow or ""
        field.add_class("-open")
        field.focus()

    def action_close_filter(self) -> None:
        self.query_one("#runs-workflow", Input).remove_class("-open")
        self.table.focus()

    @on(Input.Submitted, "#runs-workflow")
    def _workflow_chosen(self, event: Input.Submitted) -> None:
        event.stop()
        self.workflow = event.value.strip() or None
        self.action_close_filter()
        self._show_filters()
        self.reload()
