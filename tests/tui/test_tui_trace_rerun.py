"""`F` and `R` in the trace view rerun the shown run after a confirmation, against a real daemon
and a real SDK worker whose greeting step fails the first time: `F` runs only that step again
and shows the new run, whose header says what it reruns."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from textual.message import Message
from textual.pilot import Pilot

from hatchet_cli.sdk import Context
from hatchet_cli.tui.app import HatchetApp
from hatchet_cli.tui.confirm import ConfirmScreen
from hatchet_cli.tui.help_screen import HelpScreen
from hatchet_cli.tui.messages import ShowRun
from hatchet_cli.tui.trace_view import TraceView
from tests.live import run_worker
from tests.tui.tui_support import SIGN_UP_KEY, USER, Daemon, drive, until

GREET = "postmark:email-from-template"


class FailsFirstGreeting:
    """Echoes every action's input, but the first greeting fails. Counts what ran."""

    def __init__(self) -> None:
        self.ran: Counter[str] = Counter()
        self._lock = threading.Lock()

    def __call__(self, input: Any, ctx: Context) -> Any:
        with self._lock:
            self.ran[ctx.action] += 1
            first = self.ran[ctx.action] == 1
        if ctx.action == GREET and first:
            raise RuntimeError("the mail server said no")
        return input


@pytest.fixture
def actions(daemon: Daemon) -> Iterator[FailsFirstGreeting]:
    acting = FailsFirstGreeting()
    with run_worker(daemon.address, acting):
        yield acting


def failed_run(daemon: Daemon) -> str:
    (run_id,) = daemon.client.events.push(SIGN_UP_KEY, USER).run_ids
    assert daemon.client.runs.wait(run_id, timeout=15).run.status.value == "FAILED"
    return run_id


async def shown(app: HatchetApp, pilot: Pilot[None], run_id: str) -> TraceView:
    app.post_message(ShowRun(run_id))
    view = app.query_one(TraceView)
    await until(
        pilot,
        lambda: view.trace is not None and view.trace.run.id == run_id,
        what=f"run {run_id} in the trace",
    )
    return view


def test_f_reruns_from_the_failed_step_and_shows_the_new_run(
    daemon: Daemon, actions: FailsFirstGreeting
) -> None:
    original = failed_run(daemon)
    assert actions.ran[GREET] == 1

    async def scenario(app: HatchetApp, pilot: Pilot[None], posted: list[Message]) -> None:
        view = await shown(app, pilot, original)
        await pilot.press("F")
        assert isinstance(app.screen, ConfirmScreen)
        assert "from its failed steps" in app.screen.question
        await pilot.press("y")
        new_id = (
            await until(
                pilot,
                lambda: [m for m in posted if isinstance(m, ShowRun) and m.run_id != original],
                what="the rerun shown",
            )
        )[0].run_id
        await until(
            pilot,
            lambda: (
                view.trace is not None
                and view.trace.run.id == new_id
                and view.trace.run.status.value == "SUCCEEDED"
            ),
            what="the rerun succeeding in the trace",
        )
        assert f"rerun of {original[:8]}" in str(view.trace_tree.root.label)

    posted = drive(daemon.address, scenario)
    (rerun,) = [m.run_id for m in posted if isinstance(m, ShowRun) and m.run_id != original]
    assert daemon.client.runs.get(rerun).run.rerun_of_id == original
    assert daemon.client.runs.get(original).rerun_ids == [rerun]
    # Only the failed greeting ran again; the sandbox and the newsletter steps were kept.
    assert actions.ran == Counter({"sandbox:create": 1, GREET: 2, "newsletter:add-user": 1})


def test_n_at_the_question_reruns_nothing_and_help_lists_the_keys(
    daemon: Daemon, actions: FailsFirstGreeting
) -> None:
    original = failed_run(daemon)

    async def scenario(app: HatchetApp, pilot: Pilot[None], posted: list[Message]) -> None:
        await shown(app, pilot, original)
        await pilot.press("R")
        assert isinstance(app.screen, ConfirmScreen)
        assert app.screen.question.endswith("whole?")
        await pilot.press("n")
        assert not isinstance(app.screen, ConfirmScreen)
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        keys = dict(app.screen.view_keys)
        assert keys["R"] == "Rerun"
        assert keys["F"] == "Rerun failed"

    drive(daemon.address, scenario)
    assert daemon.client.runs.get(original).rerun_ids == []


def test_f_on_a_run_without_a_failed_step_says_so_without_asking(
    daemon: Daemon, worker: object
) -> None:
    (run_id,) = daemon.client.events.push(SIGN_UP_KEY, USER).run_ids
    assert daemon.client.runs.wait(run_id, timeout=15).run.status.value == "SUCCEEDED"

    async def scenario(app: HatchetApp, pilot: Pilot[None], posted: list[Message]) -> None:
        await shown(app, pilot, run_id)
        await pilot.press("F")
        assert not isinstance(app.screen, ConfirmScreen)
        await until(
            pilot,
            lambda: any("no failed step" in n.message for n in app._notifications),
            what="the notification",
        )

    drive(daemon.address, scenario)
    assert daemon.client.runs.get(run_id).rerun_ids == []
