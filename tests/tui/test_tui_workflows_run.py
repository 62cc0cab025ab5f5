"""`r` in the workflows view starts the selected workflow by hand, against a real daemon: with
the input typed in a modal (`{}` to begin with), then says which run it started."""

from __future__ import annotations

from textual.message import Message
from textual.pilot import Pilot
from textual.widgets import TextArea

from hatchet_cli.tui.app import HatchetApp
from hatchet_cli.tui.messages import RunStarted
from hatchet_cli.tui.run_input import RunInputScreen
from hatchet_cli.tui.workflows_view import WorkflowsView
from hatchetd.contracts.enums import TriggerKind
from tests.tui.tui_support import Daemon, drive, until

NIGHTLY = """\
name: nightly-report
jobs:
  report:
    steps:
      - id: gather
        action: report:gather
        with: {day: "{{ .day }}"}
"""


async def both_workflows(app: HatchetApp, pilot: Pilot[None]) -> WorkflowsView:
    await pilot.press("3")
    view = app.query_one(WorkflowsView)
    await until(pilot, lambda: len(view.workflows) == 2, what="both workflows")
    return view


def test_r_starts_the_selected_workflow_with_the_input_typed(daemon: Daemon) -> None:
    (daemon.folder / "nightly.yaml").write_text(NIGHTLY)

    async def scenario(app: HatchetApp, pilot: Pilot[None], posted: list[Message]) -> None:
        view = await both_workflows(app, pilot)
        selected = view.selected_workflow()
        assert selected is not None
        assert selected["name"] == "nightly-report"  # by name: the first row
        await pilot.press("r")
        assert isinstance(app.screen, RunInputScreen)
        area = app.screen.query_one(TextArea)
        assert area.text == "{}"
        area.text = "[1, 2]"
        await pilot.press("ctrl+s")
        assert isinstance(app.screen, RunInputScreen)
        assert "a run's input is a JSON object" in str(app.screen.query_one("#run-error").render())
        area.text = '{"day": "2026-12-04"}'
        await pilot.press("ctrl+s")
        started = await until(
            pilot, lambda: [m for m in posted if isinstance(m, RunStarted)], what="the start"
        )
        run_id = started[0].run_id
        await until(
            pilot,
            lambda: any(run_id in n.message for n in app._notifications),
            what="the notification naming the run",
        )

    posted = drive(daemon.address, scenario)
    (started,) = [m for m in posted if isinstance(m, RunStarted)]
    run = daemon.client.runs.get(started.run_id).run
    assert started.workflow_name == run.workflow_name == "nightly-report"
    assert (run.trigger, run.input) == (TriggerKind.MANUAL, {"day": "2026-12-04"})


def test_esc_in_the_input_starts_nothing(daemon: Daemon) -> None:
    (daemon.folder / "nightly.yaml").write_text(NIGHTLY)

    async def scenario(app: HatchetApp, pilot: Pilot[None], posted: list[Message]) -> None:
        await both_workflows(app, pilot)
        await pilot.press("r")
        assert isinstance(app.screen, RunInputScreen)
        await pilot.press("escape")
        assert not isinstance(app.screen, RunInputScreen)

    posted = drive(daemon.address, scenario)
    assert not [m for m in posted if isinstance(m, RunStarted)]
    assert daemon.client.runs.list().items == []


def test_a_workflow_whose_file_was_deleted_is_not_offered_a_run(daemon: Daemon) -> None:
    async def scenario(app: HatchetApp, pilot: Pilot[None], posted: list[Message]) -> None:
        await pilot.press("3")
        view = app.query_one(WorkflowsView)
        await until(pilot, lambda: view.workflows, what="the workflow")
        (daemon.folder / "post-user-sign-up.yaml").unlink()
        await until(pilot, lambda: not view.workflows[0]["active"], what="the deactivation")
        await pilot.press("r")
        assert not isinstance(app.screen, RunInputScreen)
        (note,) = app._notifications
        assert note.message == (
            "post-user-sign-up is inactive: its file post-user-sign-up.yaml was deleted, "
            "so it cannot run."
        )
        assert note.severity == "warning"

    drive(daemon.address, scenario)
    assert daemon.client.runs.list().items == []
