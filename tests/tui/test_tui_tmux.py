"""`hatchet tui` in a real terminal (a tmux pane) against a real `hatchetd` process and the
example worker process: open it, move between views with keys, replay an event, see its run.

tmux runs on a server of its own (`-L`), so the test neither sees nor disturbs a user's sessions.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT / "tests/acceptance") not in sys.path:
    sys.path.append(str(ROOT / "tests/acceptance"))

from acceptance_support import (  # noqa: E402
    Daemon,
    Workers,
    push,
    start_daemon,
    stop,
    wait_for,
    wait_until_loaded,
)

pytestmark = [
    pytest.mark.acceptance,
    pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed"),
]


class Pane:
    """One detached tmux session of 140 x 40 cells running one command."""

    def __init__(self, command: str, status_file: Path) -> None:
        self.socket = f"hatchet-tui-test-{uuid.uuid4().hex[:12]}"
        self.status_file = status_file
        # The shell writes the command's exit status to a file: tmux's own record of it
        # (`#{pane_dead_status}`) is sometimes missing when a process exits just as its
        # terminal closes.
        wrapped = f"{command}; echo $? > {shlex.quote(str(status_file))}"
        self.tmux("new-session", "-d", "-s", "tui", "-x", "140", "-y", "40", wrapped)

    def exited(self) -> str | None:
        """`exit N` once the command exited with status N, else None (still running)."""
        if not self.status_file.exists():
            return None
        text = self.status_file.read_text().strip()
        return f"exit {text}" if text else None

    def tmux(self, *args: str) -> str:
        env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES", "NO_COLOR")}
        env["TERM"] = "xterm-256color"
        done = subprocess.run(
            ["tmux", "-L", self.socket, "-f", "/dev/null", *args],
            capture_output=True,
            text=True,
            check=True,
            env=env,
        )
        return done.stdout

    def screen(self) -> str:
        return self.tmux("capture-pane", "-p", "-t", "tui")

    def keys(self, *keys: str) -> None:
        self.tmux("send-keys", "-t", "tui", *keys)

    def wait_for(self, check: str, *, timeout: float = 15.0) -> str:
        def shown() -> str | None:
            screen = self.screen()
            return screen if check in screen else None

        return wait_for(shown, timeout=timeout, what=f"{check!r} on the pane")

    def close(self) -> None:
        subprocess.run(["tmux", "-L", self.socket, "kill-server"], capture_output=True, check=False)


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
    pane = Pane(hatchet, tmp_path / "tui.status")
    try:
        pane.wait_for("connected")
        pane.wait_for(event["id"][:8])
        pane.keys("3")
        pane.wait_for("post-user-sign-up.yaml")
        pane.keys("4")
        pane.wait_for("ACTIVE")
        pane.keys("1")
        pane.wait_for("Replay")  # the events view's keys in the footer
        pane.keys("r")
        pane.wait_for("with its payload?")
        pane.keys("y")
        pane.wait_for("Replayed")

        def replayed() -> list[str] | None:
            runs = daemon.get("/api/v1/runs")["items"]
            return [r["id"] for r in runs] if len(runs) == 2 else None

        newest = wait_for(replayed, what="the replay's run")[0]
        pane.keys("2")
        pane.wait_for(newest[:8])
        pane.keys("q")
        assert wait_for(pane.exited, what="the TUI to quit") == "exit 0"
    finally:
        pane.close()
        for process in workers.processes:
            stop(process)
