"""`hatchet tui` in a real terminal (a tmux pane) against a real `hatchetd` process and the
example worker process: open it, move between views with keys, replay an event, see its run.

tmux runs on a server of its own (`-L`), so the test neither sees nor disturbs a user's sessions.
"""

from __future__ import annotations

import shlex
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from acceptance_support import (
    ROOT,
    Daemon,
    Workers,
    push,
    start_daemon,
    stop,
    wait_for,
    wait_until_loaded,
)
from tmux_pane import Pane

pytestmark = [
    pytest.mark.acceptance,
    pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed"),
]


@pytest.fixture
def daemon(tmp_path: Path) -> Iterator[Daemon]:
    folder = tmp_path / ".hatchet"
    folder.mkdir()
    shutil.copy(ROOT / ".hatchet/post-user-sign-up.yaml", folder)
    started = start_daemon(folder)
    try:
        wait_until_loaded(started, "post-user-sign-up")
        yield started
    finally:
        assert stop(started.process) == 0


def test_navigate_replay_and_see_the_new_run(daemon: Daemon, tmp_path: Path) -> None:
    workers = Workers()
    workers.start(daemon)
    event = push(daemon, "user:create", {"user": {"email": "ada@example.com", "firstName": "Ada"}})
    hatchet = shlex.join(
        [str(Path(sys.executable).with_name("hatchet")), "--address", daemon.address, "tui"]
    )
    pane = Pane(hatchet, tmp_path / "tui.status", width=140, height=40)
    try:
        pane.wait_for_text("connected")
        pane.wait_for_text(event["id"][:8])
        pane.press_until("3", "post-user-sign-up.yaml")
        pane.press_until("4", "ACTIVE")
        pane.press_until("1", "Replay")  # the events view's keys in the footer
        pane.keys("r")
        pane.wait_for_text("with its payload?")
        pane.keys("y")
        pane.wait_for_text("Replayed")

        def replayed() -> list[str] | None:
            runs = daemon.get("/api/v1/runs")["items"]
            return [r["id"] for r in runs] if len(runs) == 2 else None

        newest = wait_for(replayed, what="the replay's run")[0]
        pane.keys("2")
        pane.wait_for_text(newest[:8])
        pane.keys("q")
        assert wait_for(pane.exited, what="the TUI to quit") == "exit 0"
    finally:
        pane.close()
        for process in workers.processes:
            stop(process)
