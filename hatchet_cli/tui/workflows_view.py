"""The workflows view: every workflow the daemon loaded, and every file that does not load.

Each workflow with its version, triggers (event keys and crons), the actions of its steps that no
connected worker serves (those steps wait for a worker), file and whether it is active; below,
the reload errors (`file:line: what`) of the files that broke. The daemon announces new versions
on the change stream; a file that breaks changes no workflow, so while this view is shown it
also rereads the (small) workflow list every `RECHECK` seconds.

`r` starts the selected workflow by hand, whatever its triggers, with the input typed in a modal
(`run_input.py`), and says which run it started.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import DataTable, Label, Static

from hatchet_cli.client import DaemonUnreachable, HatchetError
from hatchet_cli.tui.link import DaemonLink
from hatchet_cli.tui.lists import ListTable
from hatchet_cli.tui.messages import RunStarted
from hatchet_cli.tui.run_input import RunInputScreen
from hatchet_cli.tui.view import View

if TYPE_CHECKING:
    from hatchetd.contracts.changes import Change

RECHECK = 2.0
"""Seconds between rereads of the workflow list while the view is shown."""


class WorkflowsView(View):
    """Workflows and reload errors."""

    TITLE = "Workflows"
    KEY = "3"
    BINDINGS: ClassVar[list[BindingType]] = [Binding("r", "run_workflow", "Run workflow")]

    def __init__(self, link: DaemonLink, *, id: str | None = None) -> None:
        super().__init__(link, id=id)
        self.workflows: list[dict[str, Any]] = []
        self.broken_files: list[dict[str, Any]] = []

    def compose(self) -> ComposeResult:
        table = ListTable(id="workflows-table")
        table.add_columns("name", "active", "version", "triggers", "unserved", "file", "errors")
        yield table
        yield Label("Reload errors", classes="section-title")
        yield Static("", id="workflow-errors")

    def on_mount(self) -> None:
        self.set_interval(RECHECK, self._recheck)

    def _recheck(self) -> None:
        if self.display and self.is_on_screen and getattr(self.app, "live", False):
            self.reload()

    def reload(self) -> None:
        self._read()

    @work(thread=True, group="workflows", exclusive=True, exit_on_error=False)
    def _read(self) -> None:
        try:
            listing = self.link.call(lambda c: c.workflows.list())
        except Exception:
            return  # the connection state line says why
        document = listing.model_dump(mode="json")
        self.app.call_from_thread(self.show_workflows, document)

    def show_workflows(self, listing: dict[str, Any]) -> None:
        """Show a `WorkflowList` document (workflows and broken files)."""
        workflows, broken = listing["workflows"], listing["broken_files"]
        if (workflows, broken) == (self.workflows, self.broken_files):
            return  # nothing new: keep the cursor and the scroll where they are
        self.workflows, self.broken_files = workflows, broken
        table = self.query_one("#workflows-table", DataTable)
        cursor = table.cursor_row
        table.clear()
        for workflow in workflows:
            triggers = [*workflow["events"], *(f"cron {c}" for c in workflow["crons"])]
            errors = workflow.get("errors", [])
            table.add_row(
                Text(workflow["name"], style="bold" if workflow["active"] else "dim"),
                Text("yes", "green") if workflow["active"] else Text("no", "dim"),
                workflow.get("version") or workflow["version_id"][:8],
                ", ".join(triggers),
                Text(", ".join(workflow.get("unserved_actions", [])), "yellow"),
                workflow["file"],
                Text(str(len(errors)), "bold red") if errors else "",
                key=workflow["name"],
            )
        if workflows:
            table.move_cursor(row=min(cursor, len(workflows) - 1), animate=False)
        lines = Text()
        for item in broken:
            for error in item["errors"]:
                lines.append(
                    error if error.startswith(item["file"]) else f"{item['file']}: {error}"
                )
                lines.append("\n")
        for workflow in workflows:
            for error in workflow.get("errors", []):
                lines.append(f"{workflow['name']}: {error}\n", style="yellow")
        if not lines.plain:
            lines = Text("Every file loads.", style="green")
        else:
            lines.stylize("red", 0, len(lines.plain))
        self.query_one("#workflow-errors", Static).update(lines)

    def apply_change(self, change: Change) -> None:
        # A worker that comes or goes changes which actions are unserved.
        if change.kind in ("workflow", "worker"):
            self.reload()

    def selected_workflow(self) -> dict[str, Any] | None:
        """The `WorkflowInfo` document of the row under the cursor, if there is one."""
        row = self.query_one("#workflows-table", DataTable).cursor_row
        return self.workflows[row] if 0 <= row < len(self.workflows) else None

    def selected_id(self) -> str | None:
        """The workflow's name: what `hatchet workflows show|run` take."""
        workflow = self.selected_workflow()
        return workflow["name"] if workflow is not None else None

    # -- starting a run by hand --------------------------------------------------------------

    def action_run_workflow(self) -> None:
        """Ask for the input, then start the selected workflow with it."""
        workflow = self.selected_workflow()
        if workflow is None:
            self.notify("No workflow selected.", severity="warning")
            return
        name = workflow["name"]
        if not workflow["active"]:  # the daemon would refuse it (409): say why before asking
            self.notify(
                f"{name} is inactive: its file {workflow['file']} was deleted, so it cannot run.",
                severity="warning",
            )
            return

        def given(input: dict[str, Any] | None) -> None:
            if input is not None:
                self._start(name, input)

        self.app.push_screen(RunInputScreen(name), given)

    @work(thread=True, group="workflow-run", exit_on_error=False)
    def _start(self, name: str, input: dict[str, Any]) -> None:
        try:
            run = self.link.call(lambda c: c.workflows.run(name, input))
        except (DaemonUnreachable, HatchetError) as exc:
            self.app.call_from_thread(
                self.notify, f"Could not start {name}: {exc}", severity="error", timeout=8
            )
            return
        self.post_message(RunStarted(name, run.id))
        self.app.call_from_thread(self.notify, f"Started run {run.id} of {name}.")
