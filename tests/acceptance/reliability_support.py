"""Helpers for the reliability tests: real hatchetd and worker processes put through faults.

What a test measures here it reports in docs/guarantees.md, so helpers return figures (RSS,
counts, statuses) rather than asserting on them.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from acceptance_support import ROOT, Daemon, wait_for

RELIABILITY_WORKER = ROOT / "tests/reliability/reliability_worker.py"


def write_workflow(folder: Path, name: str, text: str) -> Path:
    """Write a workflow file into the watched folder; returns its path."""
    path = folder / f"{name}.yaml"
    path.write_text(text)
    return path


def sleep_chain(name: str, event: str, *, steps: int, seconds: float, timeout: str = "60s") -> str:
    """A workflow of one job whose `steps` steps each sleep `seconds` (action `rel:sleep`)."""
    lines = [f"name: {name}", "on:", f"  events: [{event}]", "jobs:", "  chain:", "    steps:"]
    for i in range(steps):
        lines += [
            f"      - id: s{i}",
            "        action: rel:sleep",
            f"        timeout: {timeout}",
            f"        with: {{seconds: {seconds}, tag: s{i}}}",
        ]
    return "\n".join(lines) + "\n"


@dataclass
class WorkerProcess:
    """A reliability worker process and what it printed so far."""

    process: subprocess.Popen[str]
    lines: list[str] = field(default_factory=list)

    def read_until(self, prefix: str, *, timeout: float = 15.0) -> str:
        """Read stdout until a line starting with `prefix`; that line."""
        assert self.process.stdout is not None

        def found() -> str | None:
            for line in self.lines:
                if line.startswith(prefix):
                    return line
            line = self.process.stdout.readline() if self.process.stdout else ""
            if line:
                self.lines.append(line)
                return line if line.startswith(prefix) else None
            if self.process.poll() is not None:
                pytest.fail(f"worker exited {self.process.returncode}:\n{''.join(self.lines)}")
            return None

        return wait_for(found, timeout=timeout, what=f"a worker line starting {prefix!r}")


def start_worker(
    daemon: Daemon, *, name: str = "reliability-worker", slots: int = 4, **env: str
) -> WorkerProcess:
    """Start the reliability worker against `daemon` and wait until it is registered."""
    before = {w["worker"]["id"] for w in daemon.get("/api/v1/workers")}
    environ = {
        **os.environ,
        "HATCHET_ADDRESS": daemon.address,
        "HATCHET_LOG_LEVEL": "WARNING",
        "PYTHONUNBUFFERED": "1",
        **env,
    }
    process = subprocess.Popen(
        [sys.executable, str(RELIABILITY_WORKER), "--name", name, "--slots", str(slots)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=environ,
        cwd=ROOT,
    )

    def registered() -> bool:
        if process.poll() is not None:
            out = process.stdout.read() if process.stdout else ""
            pytest.fail(f"worker exited {process.returncode}:\n{out}")
        return any(
            w["worker"]["id"] not in before
            and w["worker"]["status"] == "ACTIVE"
            and w["worker"]["name"] == name
            for w in daemon.get("/api/v1/workers")
        )

    wait_for(registered, what=f"worker {name} to register")
    return WorkerProcess(process)


def peak_rss_kib(pid: int) -> int:
    """The process's peak resident set size so far (VmHWM), in KiB; Linux only."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmHWM for pid {pid}")


def rss_kib(pid: int) -> int:
    """The process's resident set size now (VmRSS), in KiB; Linux only."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for pid {pid}")


def run_status(daemon: Daemon, run_id: str) -> str:
    """A run's status now."""
    trace: dict[str, Any] = daemon.get(f"/api/v1/runs/{run_id}")
    status: str = trace["run"]["status"]
    return status


FIGURES_VARIABLE = "HATCHET_RELIABILITY_FIGURES"


def record_figures(test: str, **figures: Any) -> None:
    """Append what a reliability test measured to `$HATCHET_RELIABILITY_FIGURES` (a JSON Lines
    file), when set: docs/guarantees.md reports these figures, so they come from real runs."""
    path = os.environ.get(FIGURES_VARIABLE)
    if not path:
        return
    import json

    with open(path, "a") as f:
        f.write(json.dumps({"test": test, **figures}, default=str) + "\n")
