"""Helpers for the acceptance tests.

Real processes: `hatchetd` on a free port and workers from `examples/`, talked to over HTTP.

Every wait is on a condition with a deadline; nothing sleeps for a fixed time to let something
happen.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
COMPAT = ROOT / "tests/fixtures/compat"
EXAMPLE_WORKER = ROOT / "examples/worker.py"
START_DEADLINE = 30.0
T = TypeVar("T")

PG_URL_VARIABLE = "HATCHET_TEST_DATABASE_URL"


def wait_for(check: Callable[[], T | None], *, timeout: float = 15.0, what: str = "condition") -> T:
    """Poll `check` until it returns something truthy; fail naming `what` after `timeout`."""
    deadline = time.monotonic() + timeout
    delay = 0.01
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout}s waiting for {what}")
        time.sleep(delay)
        delay = min(delay * 2, 0.2)


@dataclass
class Daemon:
    """A running hatchetd."""

    process: subprocess.Popen[str]
    address: str
    folder: Path
    output: list[str] = field(default_factory=list)

    @property
    def http(self) -> httpx.Client:
        return httpx.Client(base_url=self.address, timeout=10.0)

    def get(self, path: str, **params: Any) -> Any:
        with self.http as client:
            response = client.get(path, params=params)
            response.raise_for_status()
            return response.json()

    def post(self, path: str, body: Any) -> httpx.Response:
        with self.http as client:
            return client.post(path, json=body)

    def wait_for_run(self, run_id: str, *, timeout: float = 15.0) -> dict[str, Any]:
        """The run's trace once it is final."""

        def final() -> dict[str, Any] | None:
            trace: dict[str, Any] = self.get(f"/api/v1/runs/{run_id}")
            done = trace["run"]["status"] in ("SUCCEEDED", "FAILED", "CANCELLED")
            return trace if done else None

        return wait_for(final, timeout=timeout, what=f"run {run_id} to finish")


def start_daemon(
    folder: Path, *, database_url: str | None = None, port: int = 0, **env: str
) -> Daemon:
    """Start hatchetd (on a free port unless `port` is given) and wait for its ready line."""
    environ = {**os.environ, "HATCHET_LOG_LEVEL": "WARNING", **env}
    args = [sys.executable, "-m", "hatchetd", "--dir", str(folder), "--port", str(port)]
    if database_url:
        args += ["--db", database_url]
    process = subprocess.Popen(
        args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=environ, cwd=ROOT
    )
    assert process.stdout is not None
    lines: list[str] = []
    deadline = time.monotonic() + START_DEADLINE
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        lines.append(line)
        if " ready on " in line:
            address = line.split(" ready on ", 1)[1].split(" ", 1)[0]
            return Daemon(process, address, folder, lines)
    process.kill()
    pytest.fail("hatchetd did not start:\n" + "".join(lines))


def stop(process: subprocess.Popen[str], *, timeout: float = 15.0) -> int:
    """SIGTERM, then wait; a process that ignores it is killed and the test fails."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    return wait_exit(process, timeout=timeout)


def wait_exit(process: subprocess.Popen[str], *, timeout: float = 15.0) -> int:
    """Wait for a process that was already signalled to exit (a second SIGTERM would force
    hatchetd out of its drain); fail the test if it does not."""
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        pytest.fail(f"{process.args!r} did not exit within {timeout}s")
    if process.stdout is not None:
        process.stdout.close()
    return process.returncode


def free_port() -> int:
    """A port nothing listens on right now (for a daemon that must come back on the same one)."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def steps_of(trace: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Every step run of a trace by step id (the last attempt wins)."""
    return {s["step_id"]: s for job in trace["jobs"] for s in job["step_runs"]}


def attempts_of(trace: dict[str, Any], step_id: str) -> list[dict[str, Any]]:
    """Every attempt of one step, first to last."""
    return [s for job in trace["jobs"] for s in job["step_runs"] if s["step_id"] == step_id]


def push(daemon: Daemon, key: str, data: dict[str, Any]) -> dict[str, Any]:
    """Push an event; fail the test unless it was stored."""
    response = daemon.post("/api/v1/events", {"key": key, "data": data})
    assert response.status_code == 201, response.text
    event: dict[str, Any] = response.json()
    return event


def wait_until_loaded(daemon: Daemon, *names: str) -> None:
    """Wait until the daemon has loaded every named workflow."""

    def loaded() -> bool:
        listed = {w["name"] for w in daemon.get("/api/v1/workflows")["workflows"] if w["active"]}
        return set(names) <= listed

    wait_for(loaded, what=f"workflows {names} to load")


def copy_workflows(folder: Path, *names: str) -> None:
    """Copy compat files (paths under tests/fixtures/compat) into the watched folder."""
    for name in names:
        shutil.copy(COMPAT / name, folder / Path(name).name)


@dataclass
class Workers:
    """Worker processes started by a test, stopped at its end."""

    processes: list[subprocess.Popen[str]] = field(default_factory=list)

    def start(
        self, daemon: Daemon, *args: str, name: str = "example", script: Path = EXAMPLE_WORKER
    ) -> subprocess.Popen[str]:
        """Start a worker script (the example worker unless `script` is given) with `--name`
        and `args`, and wait until it is registered."""
        before = {w["worker"]["id"] for w in daemon.get("/api/v1/workers")}
        env = {**os.environ, "HATCHET_ADDRESS": daemon.address, "HATCHET_LOG_LEVEL": "WARNING"}
        process = subprocess.Popen(
            [sys.executable, str(script), "--name", name, *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=env,
            cwd=ROOT,
        )
        self.processes.append(process)

        def registered() -> bool:
            if process.poll() is not None:
                out = process.stdout.read() if process.stdout else ""
                pytest.fail(f"worker exited {process.returncode}:\n{out}")
            return any(
                w["worker"]["id"] not in before and w["worker"]["status"] == "ACTIVE"
                for w in daemon.get("/api/v1/workers")
            )

        wait_for(registered, what=f"worker {name} to register")
        return process
