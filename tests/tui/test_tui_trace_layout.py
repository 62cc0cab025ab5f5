"""The trace's layout, fed fixed traces: the waterfall spans the width the tree has and no line
is cut as it grows, a step still waiting for a worker counts its wait up, and the step panel
follows its newest log line unless the reader scrolled up; and the runs view counts up the time
of a run in progress."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from hatchet_cli.tui.link import DaemonLink
from hatchet_cli.tui.trace_view import Node, TraceView
from hatchetd.contracts.enums import StepRunStatus
from hatchetd.contracts.runs import StepLog
from tests.tui.test_tui_runs_snapshots import (
    LOGS,
    NOW,
    NOWHERE,
    RUNS,
    TRACE,
    RunsOnly,
    TraceOnly,
    at,
)
from tests.tui.tui_support import until

pytestmark = pytest.mark.anyio


def lines(view: TraceView) -> list[str]:
    tree = view.trace_tree
    return [tree.render_line(y).text.rstrip() for y in range(tree.last_line + 1)]


def select(view: TraceView, step_run_id: str) -> None:
    view.trace_tree.move_cursor(view._tree_nodes[Node("step", step_run_id)], animate=False)


@pytest.mark.parametrize("columns", [100, 200])
async def test_the_waterfall_spans_the_width_it_has(columns: int) -> None:
    app = TraceOnly(DaemonLink(NOWHERE), follow=False)
    async with app.run_test(size=(columns, 30)) as pilot:
        view = app.trace_view
        view.show_trace(TRACE, NOW, LOGS)
        await pilot.pause()
        shown = lines(view)
        step_line = next(line for line in shown if "createSandbox" in line)
        bar = [cell for cell in step_line if cell in "·░█"]
        # The rest of the line (name, status, worker, time) takes under 70 cells.
        assert len(bar) >= columns - 70
        assert all(len(line) <= columns for line in shown)
        assert step_line.endswith("4.0s")


async def test_a_line_that_grows_is_not_cut() -> None:
    app = TraceOnly(DaemonLink(NOWHERE), follow=False)
    async with app.run_test(size=(200, 30)) as pilot:
        view = app.trace_view
        view.show_trace(TRACE, NOW, LOGS)
        await pilot.pause()
        assert "took 20.0s…" in lines(view)[0]
        view.show_trace(TRACE, NOW + timedelta(minutes=20))
        await pilot.pause()
        assert "took 20m20s…   ░ queued  █ running" in lines(view)[0]


async def test_the_trace_follows_the_terminal_s_width() -> None:
    app = TraceOnly(DaemonLink(NOWHERE), follow=False)
    async with app.run_test(size=(100, 30)) as pilot:
        view = app.trace_view
        view.show_trace(TRACE, NOW, LOGS)
        await pilot.pause()
        narrow = len(lines(view)[2])
        await pilot.resize_terminal(160, 30)
        await pilot.pause()
        await pilot.pause()
        assert len(lines(view)[2]) == narrow + 60


async def test_a_step_waiting_for_a_worker_counts_its_wait_up() -> None:
    waiting = (
        TRACE.jobs[1]
        .step_runs[1]
        .model_copy(update={"status": StepRunStatus.PENDING_ASSIGNMENT, "started_at": None})
    )
    job = TRACE.jobs[1].model_copy(update={"step_runs": [TRACE.jobs[1].step_runs[0], waiting]})
    trace = TRACE.model_copy(update={"jobs": [TRACE.jobs[0], job, TRACE.jobs[2]]})
    app = TraceOnly(DaemonLink(NOWHERE), follow=False)
    async with app.run_test(size=(120, 30)) as pilot:
        view = app.trace_view
        view.show_trace(trace, NOW, [])
        await pilot.pause()
        select(view, waiting.id)
        await pilot.pause()
        created = (NOW - waiting.created_at).total_seconds()
        assert f"queued {created:.1f}s…" in lines(view)[5]
        assert f"queued {created:.1f}s…" in view.detail.text.splitlines()[0]
        view.show_trace(trace, NOW + timedelta(seconds=5))
        await pilot.pause()
        assert f"queued {created + 5:.1f}s…" in lines(view)[5]
        assert f"queued {created + 5:.1f}s…" in view.detail.text.splitlines()[0]
        assert "took -" not in view.detail.text


def logged(count: int) -> list[StepLog]:
    """`count` lines logged by the greeting's second attempt, which is still running."""
    return [StepLog(step_run_id="s3", at=at(5 + n / 100), line=f"line {n}") for n in range(count)]


async def test_a_finished_step_is_shown_from_its_top() -> None:
    app = TraceOnly(DaemonLink(NOWHERE), follow=False)
    async with app.run_test(size=(100, 30)) as pilot:
        view = app.trace_view
        view.show_trace(TRACE, NOW, [*LOGS, *logged(60)])
        await pilot.pause()
        select(view, "s2")
        await pilot.pause()
        await pilot.pause()
        assert view.detail.scroll_y == 0


async def test_the_step_panel_follows_new_log_lines_unless_scrolled_up() -> None:
    app = TraceOnly(DaemonLink(NOWHERE), follow=False)
    async with app.run_test(size=(100, 30)) as pilot:
        view = app.trace_view
        view.show_trace(TRACE, NOW, logged(2))
        await pilot.pause()
        select(view, "s3")
        await pilot.pause()
        panel = view.detail
        view.show_trace(TRACE, NOW, logged(60))  # more lines than the panel holds: it follows
        await pilot.pause()
        await pilot.pause()
        assert panel.max_scroll_y > 0
        assert panel.scroll_y == panel.max_scroll_y
        panel.scroll_home(animate=False)  # the reader scrolls up: the panel stays put
        await pilot.pause()
        view.show_trace(TRACE, NOW, logged(80))
        await pilot.pause()
        await pilot.pause()
        assert panel.scroll_y == 0
        panel.scroll_end(animate=False)  # back at the end: it follows again
        await pilot.pause()
        view.show_trace(TRACE, NOW, logged(100))
        await pilot.pause()
        await pilot.pause()
        assert panel.scroll_y == panel.max_scroll_y
        assert "line 99" in panel.text


async def test_a_running_run_s_time_counts_up_in_the_runs_view() -> None:
    app = RunsOnly(DaemonLink(NOWHERE), follow=False)
    async with app.run_test(size=(100, 30)) as pilot:
        view = app.runs_view
        running = RUNS[0].model_copy(update={"started_at": datetime.now(UTC)})
        view.show_runs([running, *RUNS[1:]], next_cursor=None)
        await pilot.pause()
        first = str(view.table.get_row(running.id)[5])
        await until(pilot, lambda: str(view.table.get_row(running.id)[5]) != first, "a tick")
        assert str(view.table.get_row(running.id)[5]).endswith("…")
