"""A command in a real terminal: a detached tmux session, read as a person would see it.

Each pane runs on a tmux server of its own (`-L`), so a test neither sees nor disturbs a user's
sessions. The command runs under a shell that writes its exit status to a file: tmux's own
record of it (`#{pane_dead_status}`) is sometimes missing when a process exits just as its
terminal closes.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import time
import uuid
from pathlib import Path

import pytest
from acceptance_support import wait_for


class Pane:
    """One detached tmux session of `width` x `height` cells running one shell command."""

    def __init__(self, command: str, status_file: Path, *, width: int = 120, height: int = 40):
        self.socket = f"hatchet-test-{uuid.uuid4().hex[:12]}"
        self.status_file = status_file
        wrapped = f"{command}; echo $? > {shlex.quote(str(status_file))}; sleep 60"
        self.tmux("new-session", "-d", "-s", "pane", "-x", str(width), "-y", str(height), wrapped)

    def tmux(self, *args: str) -> str:
        # Without COLUMNS and LINES: the server would hand ours (pytest may set 80 x 24) to the
        # pane, and Rich and Textual trust them over the terminal's real size.
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
        """The text on the pane now, without colours."""
        return self.tmux("capture-pane", "-p", "-t", "pane")

    def keys(self, *keys: str) -> None:
        """Type keys (tmux names: `Enter`, `C-c`, or plain text)."""
        self.tmux("send-keys", "-t", "pane", *keys)

    def press_until(self, key: str, text: str, *, timeout: float = 30.0) -> str:
        """Press `key` until `text` shows (the screen then). Under load a key sent to a TUI
        busy drawing its first screens was seen lost about once in ten runs; pressing again
        is what a person would do. Only for keys whose second press changes nothing more.

        The wait is on the text, to `timeout`. The key is pressed again while the text has
        not shown, after 1 s, then 2 s, 4 s, ... (a second press of such a key costs nothing
        when the first was taken): a screen still drawing under load has the time it needs,
        where a fixed 3 s between presses and 15 s in all were seen to run out."""
        deadline = time.monotonic() + timeout
        patience, presses = 1.0, 0
        while True:
            self.keys(key)
            presses += 1
            left = deadline - time.monotonic()
            try:
                return self.wait_for_text(text, timeout=max(0.0, min(patience, left)))
            except pytest.fail.Exception:  # wait_for's timeout
                if time.monotonic() >= deadline:
                    pytest.fail(
                        f"timed out after {timeout}s waiting for {text!r} on the pane "
                        f"({key!r} pressed {presses} times):\n{self.screen()}"
                    )
            patience *= 2

    def wait_for_text(self, text: str, *, timeout: float = 15.0) -> str:
        """The screen once `text` is on it."""

        def shown() -> str | None:
            screen = self.screen()
            return screen if text in screen else None

        return wait_for(shown, timeout=timeout, what=f"{text!r} on the pane")

    def exited(self) -> str | None:
        """`exit N` once the command exited with status N, else None (still running)."""
        if not self.status_file.exists():
            return None
        text = self.status_file.read_text().strip()
        return f"exit {text}" if text else None

    def close(self) -> None:
        subprocess.run(["tmux", "-L", self.socket, "kill-server"], capture_output=True, check=False)
