"""`hatchet runs show --watch` against a real `hatchetd` process: on a real terminal (a tmux pane,
with the example worker process running the steps; what the pane shows is what a person would
see), and when the daemon goes away in the middle of a watch.

tmux runs on a server of its own (`-L`), so the test neither sees nor disturbs a user's sessions.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import threading
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
    wait_until_loaded,
)
from tmux_pane import Pane

pytestmark = pytest.mark.acceptance


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


def run_lines(screen: str) -> list[str]:
    return [line for line in screen.splitlines() if line.startswith("run ")]


def push_sign_up(daemon: Daemon) -> str:
    """Push a sign-up event; the id of the run it triggered."""
    event = push(daemon, "user:create", {"user": {"email": "ada@example.com", "firstName": "Ada"}})
    run_id: str = event["run_ids"][0]
    return run_id


@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")
def test_watch_redraws_the_trace_in_place_until_the_run_succeeds(
    daemon: Daemon, tmp_path: Path
) -> None:
    run_id = push_sign_up(daemon)
    hatchet = f"{sys.executable} -m hatchet_cli.cli.app --address {daemon.address}"
    # The shell reports the exit code on the pane, then keeps it open for the last capture.
    pane = Pane(
        f"cd {ROOT} && {hatchet} runs show {run_id} --watch; echo EXIT=$?",
        tmp_path / "watch.status",
    )
    workers = Workers()
    try:
        waiting = pane.wait_for_text("watching; Ctrl-C stops")
        assert [line.split("  ")[2] for line in run_lines(waiting)] in (["PENDING"], ["RUNNING"])
        assert "PENDING_ASSIGNMENT" in waiting  # the steps wait for a worker

        workers.start(daemon)
        final = pane.wait_for_text("EXIT=", timeout=30)
    finally:
        pane.close()
        for process in workers.processes:
            stop(process)

    # Redrawn in place: one trace on the screen, the final one, and the hint gone.
    assert [line.split("  ")[2] for line in run_lines(final)] == ["SUCCEEDED"], final
    assert run_id in run_lines(final)[0]
    steps = [line for line in final.splitlines() if " step " in line]
    assert len(steps) == 3
    assert all("SUCCEEDED  attempt 1  worker " in line for line in steps), final
    assert "watching; Ctrl-C stops" not in final
    assert "EXIT=0" in final


def test_watch_exits_5_with_one_line_when_the_daemon_goes_away(tmp_path: Path) -> None:
    folder = tmp_path / ".hatchet"
    folder.mkdir()
    shutil.copy(ROOT / ".hatchet/post-user-sign-up.yaml", folder)
    daemon = start_daemon(folder)
    try:
        wait_until_loaded(daemon, "post-user-sign-up")
        run_id = push_sign_up(daemon)
        hatchet = [sys.executable, "-m", "hatchet_cli.cli.app", "--address", daemon.address]
        watch = subprocess.Popen(
            [*hatchet, "runs", "show", run_id, "--watch"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=ROOT,
        )
        stdout = watch.stdout
        assert stdout is not None
        first: list[str] = []
        reader = threading.Thread(target=lambda: first.append(stdout.readline()))
        reader.start()
        reader.join(15)
        assert first, "the watch printed no trace within 15 s"
        assert first[0].startswith(f"run {run_id}  ")
    finally:
        daemon.process.kill()  # gone without a goodbye, as after a crash
        daemon.process.wait()
        stop(daemon.process)
    try:
        _, err = watch.communicate(timeout=15)
    finally:
        watch.kill()
    assert watch.returncode == 5
    assert err.startswith(f"error: cannot reach the hatchet daemon at {daemon.address}")
    assert len(err.splitlines()) == 1
