"""The trace view: one run's job runs and step runs as a tree, each with its waterfall bar on
the run's time axis, and the selected step in full below.

Live while the run is in progress: every change of the stream that belongs to the run rereads
the trace whole (a trace is small; rereading is simpler than patching it), at most ten times a
second, and a clock tick once a second stretches the bars of what is still open. `c` cancels
the run after a confirmation; `R` and `F` rerun it (`trace_rerun.py`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.timer import Timer
from textual.widgets import Tree

from hatchet_cli._cells import short
from hatchet_cli._waterfall import waterfall
from hatchet_cli.client import DaemonUnreachable, HatchetError
from hatchet_cli.tui.confirm import ConfirmScreen
from hatchet_cli.tui.link import DaemonLink
from hatchet_cli.tui.lists import TraceTree
from hatchet_cli.tui.step_detail import StepDetail
from hatchet_cli.tui.trace_rerun import ask_rerun
from hatchet_cli.tui.view import View
from hatchet_cli.tui.waterfall_bar import bar_text, duration, status_text

if TYPE_CHECKING:
    from hatchetd.contracts.changes import Change
    from hatchetd.contracts.runs import RunTrace, StepLog

__all__ = ["TraceView"]

RELOAD_DELAY = 0.1
"""Changes arriving within this many seconds of each other cause one reread of the trace."""
_OF_A_RUN = frozenset({"run", "job_run", "step_run", "step_log"})
"""The kinds of change that belong to a run (and carry its id)."""
MIN_BAR_WIDTH = 12
"""The narrowest bar: on a narrow terminal the line is cut rather than the bar lost."""
DEFAULT_WIDTH = 100
"""The tree's width before it is laid out."""
ROOT_INDENT, JOB_INDENT, STEP_INDENT = 2, 6, 8
"""Where the labels start: after the root's toggle, a guide and a toggle, two guides."""


@dataclass(frozen=True)
class Node:
    """What a line of the tree stands for."""

    kind: str
    """`run`, `job` or `step`."""
    id: str


class TraceView(View):
    """One run as a tree of job runs and step runs with their timings."""

    TITLE = "Trace"
    KEY = "5"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("c", "cancel_run", "Cancel run"),
        Binding("R", "rerun(False)", "Rerun"),
        Binding("F", "rerun(True)", "Rerun failed"),
    ]

    DEFAULT_CSS = """
    TraceView { height: 1fr; }
    TraceView Tree { height: 1fr; min-height: 5; }
    """

    def __init__(self, link: DaemonLink, *, id: str | None = None) -> None:
        super().__init__(link, id=id)
        self.run_id: str | None = None
        """The run shown (as asked for: a unique prefix will do until the trace is read)."""
        self.trace: RunTrace | None = None
        """The trace shown."""
        self.logs: list[StepLog] = []
        """Every line the run's steps logged."""
        self.now: datetime | None = None
        """The time the axis of an unfinished run ends at; None: the clock."""
        self._generation = 0
        self._reload_timer: Timer | None = None
        self._tree_shape: list[Node] = []
        self._tree_nodes: dict[Node, Any] = {}
        self._label_widths: list[int] = []

    def compose(self) -> ComposeResult:
        tree = TraceTree("no run shown: choose one in the runs view", id="trace-tree")
        tree.guide_depth = 4
        yield tree
        yield StepDetail(id="step-detail")

    def on_mount(self) -> None:
        self.set_interval(1.0, self._tick)

    @property
    def trace_tree(self) -> Tree[Node]:
        return self.query_one("#trace-tree", Tree)

    @property
    def detail(self) -> StepDetail:
        return self.query_one(StepDetail)

    # Loading.

    def show_run(self, run_id: str) -> None:
        """Show this run (read it from the daemon)."""
        if self.trace is not None and self.trace.run.id != run_id:
            self.trace, self.logs, self._tree_shape, self._tree_nodes = None, [], [], {}
            self.trace_tree.clear()
            self.detail.clear()
        self.run_id = run_id
        self.reload()

    def reload(self) -> None:
        if self.run_id is None:
            return
        self._generation += 1
        self._load(self._generation, self.run_id)

    @work(thread=True, group="trace-load")
    def _load(self, generation: int, run_id: str) -> None:
        try:
            trace = self.link.call(lambda c: c.runs.get(run_id))
            logs = self.link.call(lambda c: c.runs.logs(trace.run.id))
        except (DaemonUnreachable, HatchetError) as exc:
            self.app.call_from_thread(
                self.notify, f"Could not read run {run_id}: {exc}", severity="error"
            )
            return
        # A later reread may finish first: only the newest is shown.
        if generation == self._generation:
            self.app.call_from_thread(self.show_trace, trace, None, logs)

    def apply_change(self, change: Change) -> None:
        """A change to the shown run (itself, a job run, a step run or a log line) rereads the
        trace and its logs soon."""
        if self.run_id is None or change.kind not in _OF_A_RUN:
            return
        shown = self.trace.run.id if self.trace is not None else self.run_id
        if not (change.run_id or "").startswith(shown):
            return
        if self._reload_timer is None:
            self._reload_timer = self.set_timer(RELOAD_DELAY, self._reload_now)

    def _reload_now(self) -> None:
        self._reload_timer = None
        self.reload()

    def _tick(self) -> None:
        if self.trace is not None and not self.trace.run.status.is_final and self.now is None:
            self.show_trace(self.trace, None, self.logs)

    # Display.

    def show_trace(
        self, trace: RunTrace, now: datetime | None = None, logs: list[StepLog] | None = None
    ) -> None:
        """Draw `trace` with its bars up to `now` (None: the clock, or the fixed `self.now`)."""
        if now is not None:
            self.now = now
        moment = self.now or datetime.now(UTC)
        self.trace, self.run_id = trace, trace.run.id
        if logs is not None:
            self.logs = logs
        labels = self._labels(trace, moment)
        widths = [label.cell_len for _, label in labels]
        shape = [node for node, _ in labels]
        if shape == self._tree_shape and widths == self._label_widths:
            for node, label in labels:
                self._tree_nodes[node].set_label(label)
        else:
            # A tree measures its width when built: a label that grew would be cut.
            self._build(trace, dict(labels))
        self._label_widths = widths
        self._show_detail()

    def _labels(self, trace: RunTrace, moment: datetime) -> list[tuple[Node, Text]]:
        """The tree's lines: the run, then each job run and its step runs, their bars as wide
        as the tree leaves room for, every line padded to the tree's width."""
        run = trace.run
        # The bars line up: jobs sit one guide (4 cells) plus their toggle (2) in, steps two guides.
        names = [len(j.job_run.job_name) + JOB_INDENT for j in trace.jobs]
        names += [len(s.step_id) + STEP_INDENT for j in trace.jobs for s in j.step_runs]
        column = max(names, default=0)
        statuses = [j.job_run.status.value for j in trace.jobs]
        statuses += [s.status.value for j in trace.jobs for s in j.step_runs]
        status_width = max(map(len, statuses), default=0)
        waits = {wait.step_run_id: f"  {wait.message}" for wait in trace.waiting}
        tails: dict[str, Text] = {}
        for job in trace.jobs:
            job_run = job.job_run
            tails[job_run.id] = Text(duration(job_run.started_at, job_run.finished_at, moment))
            for step in job.step_runs:
                span = duration(step.started_at, step.finished_at, moment, created=step.created_at)
                tails[step.id] = Text.assemble(
                    f"#{step.attempt}  {short(step.worker_id)}  {span}",
                    (waits.get(step.id, ""), "yellow"),
                )
        tail_width = max((tail.cell_len for tail in tails.values()), default=0)
        # The line: name, 2, bar, 2, status, 2, tail; the rest of the width is the bar's.
        width = self.trace_tree.scrollable_content_region.width or DEFAULT_WIDTH
        bar_width = max(MIN_BAR_WIDTH, width - column - status_width - tail_width - 7)
        bars = waterfall(trace, moment, bar_width)

        def line(indent: int, name: Text, node_id: str, status: str) -> Text:
            text = Text.assemble(
                name,
                " " * (column - indent - name.cell_len),
                "  ",
                bar_text(bars[node_id], status),
                "  ",
                status_text(status),
                " " * (status_width - len(status)),
                "  ",
                tails[node_id],
            )
            return _padded(text, width - indent)

        root_label = Text.assemble(
            ("run ", "bold"),
            short(run.id),
            "  ",
            (run.workflow_name, "bold"),
            "  ",
            status_text(run.status.value),
            f"  took {duration(run.started_at, run.finished_at, moment)}",
            _rerun_links(trace),
            ("   ░ queued  █ running", "dim"),
        )
        labels: list[tuple[Node, Text]] = [
            (Node("run", run.id), _padded(root_label, width - ROOT_INDENT))
        ]
        for job in trace.jobs:
            job_run = job.job_run
            name = Text(job_run.job_name, "bold")
            labels.append(
                (Node("job", job_run.id), line(JOB_INDENT, name, job_run.id, job_run.status.value))
            )
            for step in job.step_runs:
                labels.append(
                    (
                        Node("step", step.id),
                        line(STEP_INDENT, Text(step.step_id), step.id, step.status.value),
                    )
                )
        return labels

    def on_resize(self) -> None:
        if self.trace is not None:
            self.call_after_refresh(self.show_trace, self.trace, None, self.logs)

    def _build(self, trace: RunTrace, labels: dict[Node, Text]) -> None:
        """Build the tree afresh, keeping the cursor on the same line."""
        tree = self.trace_tree
        selected = tree.cursor_node.data if tree.cursor_node is not None else None
        tree.clear()
        root_node = Node("run", trace.run.id)
        tree.root.set_label(labels[root_node])
        tree.root.data = root_node
        self._tree_nodes = {root_node: tree.root}
        for job in trace.jobs:
            job_node = Node("job", job.job_run.id)
            branch = tree.root.add(labels[job_node], data=job_node, expand=True)
            self._tree_nodes[job_node] = branch
            for step in job.step_runs:
                step_node = Node("step", step.id)
                self._tree_nodes[step_node] = branch.add_leaf(labels[step_node], data=step_node)
        tree.root.expand()
        self._tree_shape = list(labels)
        if selected in self._tree_nodes:
            tree.move_cursor(self._tree_nodes[selected], animate=False)

    @on(Tree.NodeHighlighted, "#trace-tree")
    @on(Tree.NodeSelected, "#trace-tree")
    def _highlighted(self, event: Tree.NodeHighlighted[Node] | Tree.NodeSelected[Node]) -> None:
        event.stop()
        self._show_detail()

    @property
    def selected(self) -> Node | None:
        """What the cursor is on."""
        node = self.trace_tree.cursor_node
        return node.data if node is not None else None

    def selected_id(self) -> str | None:
        """The id of the run, job run or step run the cursor is on."""
        return self.selected.id if self.selected is not None else None

    def _show_detail(self) -> None:
        trace, selected = self.trace, self.selected
        if trace is None or selected is None:
            return
        moment = self.now or datetime.now(UTC)
        for job in trace.jobs:
            if selected == Node("job", job.job_run.id):
                self.detail.show_job(job.job_run, moment)
                return
            for step in job.step_runs:
                if selected == Node("step", step.id):
                    attempts = [s for s in job.step_runs if s.step_id == step.step_id]
                    waiting = next(
                        (w.message for w in trace.waiting if w.step_run_id == step.id), None
                    )
                    self.detail.show_step(step, attempts, self.logs, moment, waiting=waiting)
                    return
        self.detail.show_run(trace.run, moment)

    # Rerunning.

    def action_rerun(self, from_failed: bool) -> None:
        """Ask, then rerun the run, whole or from its failed steps."""
        ask_rerun(self, self.trace, from_failed=from_failed)

    # Cancelling.

    def action_cancel_run(self) -> None:
        """Ask, then cancel what is not final in the run."""
        trace = self.trace
        if trace is None:
            self.notify("No run is shown.", severity="warning")
            return
        if trace.run.status.is_final:
            self.notify(f"Run {short(trace.run.id)} is already {trace.run.status.value}.")
            return
        run_id = trace.run.id

        def answered(yes: bool | None) -> None:
            if yes:
                self._cancel(run_id)

        self.app.push_screen(
            ConfirmScreen(f"Cancel run {short(run_id)} ({trace.run.workflow_name})?"), answered
        )

    @work(thread=True, group="trace-cancel")
    def _cancel(self, run_id: str) -> None:
        try:
            trace = self.link.call(lambda c: c.runs.cancel(run_id))
        except (DaemonUnreachable, HatchetError) as exc:
            self.app.call_from_thread(
                self.notify, f"Could not cancel run {short(run_id)}: {exc}", severity="error"
            )
            return
        self.app.call_from_thread(self._cancelled, trace)

    def _cancelled(self, trace: RunTrace) -> None:
        self.notify(f"Run {short(trace.run.id)} is {trace.run.status.value}.")
        if self.run_id == trace.run.id:
            self.reload()


def _padded(text: Text, width: int) -> Text:
    """`text` with spaces up to `width` cells (the tree's lines are all as wide as the tree)."""
    if text.cell_len < width:
        text.append(" " * (width - text.cell_len))
    return text


def _rerun_links(trace: RunTrace) -> str:
    """`  rerun of 3f2a9c1e`, `  rerun as 5d0c1a2b, …`: the runs this one is linked to."""
    parts = []
    if trace.run.rerun_of_id:
        parts.append(f"rerun of {short(trace.run.rerun_of_id)}")
    if trace.rerun_ids:
        parts.append("rerun as " + ", ".join(short(i) for i in trace.rerun_ids))
    return "".join(f"  {part}" for part in parts)
