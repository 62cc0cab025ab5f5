"""The runs view against a real daemon: it lists the newest runs, follows the change stream,
filters by workflow and status, and opens a run's trace."""

from __future__ import annotations

from functools import partial

import pytest

from hatchet_cli.client import Client
from hatchet_cli.tui.link import DaemonLink
from hatchet_cli.tui.runs_view import RunsView
from hatchetd.contracts.changes import Change, ChangeKind
from hatchetd.contracts.enums import RunStatus
from hatchetd.contracts.runs import WorkflowRun
from tests.live import run_worker
from tests.tui.runs_harness import SIGN_UP, USER, RunsApp
from tests.tui.tui_support import focus, until

pytestmark = pytest.mark.anyio


def push_runs(address: str, count: int) -> list[str]:
    """Push `count` sign-up events; the ids of the runs they started, newest first."""
    with Client(address) as client:
        runs = [client.events.push("user:create", USER).run_ids[0] for _ in range(count)]
    return runs[::-1]


async def test_a_run_started_while_the_view_is_open_appears_on_top_and_completes(
    address: str,
) -> None:
    (older,) = push_runs(address, 1)
    app = RunsApp(DaemonLink(address))
    async with app.run_test(size=(120, 50)) as pilot:
        view = app.runs_view
        await until(pilot, lambda: older in view.runs, "the first page")
        with run_worker(address):
            (new,) = push_runs(address, 1)
            await until(pilot, lambda: list(view.runs)[:1] == [new], "the new run on top")
            await until(
                pilot,
                lambda: view.runs[new].status.value == "SUCCEEDED",
                "the new run succeeding",
            )
            row = view.table.get_row(new)
            assert row[0] == new[:8]
            assert row[1] == SIGN_UP
            assert str(row[2]) == "SUCCEEDED"
            assert str(row[5]).endswith("s")  # took: 12ms, 1.2s
            assert view.table.get_row_index(new) == 0


async def test_enter_on_a_run_posts_show_run(address: str) -> None:
    newest, _ = push_runs(address, 2)
    app = RunsApp(DaemonLink(address))
    async with app.run_test(size=(120, 50)) as pilot:
        view = app.runs_view
        await until(pilot, lambda: len(view.runs) == 2, "the first page")
        await focus(pilot, view.table)
        await pilot.press("enter")
        await until(pilot, lambda: app.shown == [newest], "ShowRun for the newest run")
        await until(
            pilot,
            lambda: app.trace_view.trace is not None and app.trace_view.trace.run.id == newest,
            "its trace",
        )


async def test_s_cycles_the_status_filter_on_the_daemon(address: str) -> None:
    newest, oldest = push_runs(address, 2)
    with Client(address) as client:
        client.runs.cancel(oldest)
    app = RunsApp(DaemonLink(address))
    async with app.run_test(size=(120, 50)) as pilot:
        view = app.runs_view
        await until(pilot, lambda: len(view.runs) == 2, "the first page")
        view.table.focus()
        shown: dict[str | None, list[str]] = {}
        for _ in range(4):
            check = partial(filtered_anew, view, view.status)  # the status before the key
            await pilot.press("s")
            await until(pilot, check, "the filtered page")
            shown[view.status] = list(view.runs)
        # Without a worker the newest run is RUNNING: its jobs started, their steps wait.
        assert shown == {
            "RUNNING": [newest],
            "FAILED": [],
            "SUCCEEDED": [],
            "CANCELLED": [oldest],
        }
        await pilot.press("s")
        await until(pilot, lambda: view.status is None and len(view.runs) == 2, "every run")
        assert list(view.runs) == [newest, oldest]


def filtered_anew(view: RunsView, before: str | None) -> bool:
    """The view shows another status than `before`, and has read its page."""
    return view.status != before and not view._loading


async def test_slash_filters_by_workflow_name(address: str) -> None:
    push_runs(address, 1)
    app = RunsApp(DaemonLink(address))
    async with app.run_test(size=(120, 50)) as pilot:
        view = app.runs_view
        await until(pilot, lambda: len(view.runs) == 1, "the first page")
        await focus(pilot, view.table)
        await pilot.press("slash", *"nope", "enter")
        await until(pilot, lambda: view.workflow == "nope" and not view.runs, "no run of nope")
        # A new run of another workflow does not slip in through the stream either.
        (other,) = push_runs(address, 1)
        await until(pilot, lambda: other in app.applied, "the new run's change to be applied")
        assert view.runs == {}
        await pilot.press("slash", *("backspace",) * 4, *SIGN_UP, "enter")
        await until(pilot, lambda: len(view.runs) == 2, "the sign-up runs")


async def test_the_last_row_loads_the_next_page(
    address: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(RunsView, "PAGE_SIZE", 2)
    runs = push_runs(address, 3)
    app = RunsApp(DaemonLink(address))
    async with app.run_test(size=(120, 50)) as pilot:
        view = app.runs_view
        await until(pilot, lambda: len(view.runs) == 2, "the first page")
        assert view.next_cursor is not None
        assert view.table.row_count == 3  # two runs and "… more runs"
        await focus(pilot, view.table)
        await pilot.press("down", "down", "enter")
        await until(pilot, lambda: list(view.runs) == runs, "the second page")
        assert view.next_cursor is None
        assert view.table.row_count == 3


def run_change(run: WorkflowRun) -> Change:
    """The change the daemon streams when it writes `run`."""
    return Change(
        seq=1,
        kind=ChangeKind.RUN,
        id=run.id,
        run_id=run.id,
        status=run.status.value,
        committed_at=run.created_at,
        record=run.model_dump(mode="json"),
    )


async def test_changes_insert_new_runs_on_top_and_update_known_ones_in_place() -> None:
    from tests.tui.test_tui_runs_snapshots import NOW, NOWHERE, RUNS

    app = RunsApp(DaemonLink(NOWHERE), follow=False)
    async with app.run_test(size=(120, 50)) as pilot:
        view = app.runs_view
        view.now = NOW
        view.show_runs(RUNS[1:], None)
        running = RUNS[0]
        view.apply_change(run_change(running))
        await pilot.pause()
        assert list(view.runs) == [r.id for r in RUNS]
        assert view.table.get_row_index(running.id) == 0
        done = running.model_copy(update={"status": RunStatus.SUCCEEDED, "finished_at": NOW})
        view.apply_change(run_change(done))
        await pilot.pause()
        assert str(view.table.get_row(running.id)[2]) == "SUCCEEDED"
        assert str(view.table.get_row(running.id)[5]) == "10.5s"
        # Another workflow's new run stays out while the view shows one workflow.
        view.workflow = "nightly-report"
        other = RUNS[1].model_copy(update={"id": "ffffffff-0000-4000-8000-000000000000"})
        view.apply_change(run_change(other))
        assert other.id not in view.runs
