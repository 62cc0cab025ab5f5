"""`make demo`: start hatchetd on `.hatchet/` with the example worker, push the sign-up event,
show the run it triggered, and stop both.

Run from the repository root: `python examples/demo.py [--dir FOLDER]` (default `.hatchet/`).
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from hatchet_cli import Client
from hatchetd.contracts.runs import RunTrace

ROOT = Path(__file__).resolve().parents[1]
PAYLOAD = {"user": {"firstName": "Ada", "email": "ada@example.com"}}
FINAL = {"SUCCEEDED", "FAILED", "CANCELLED"}


def start_daemon(folder: Path) -> tuple[subprocess.Popen[str], str]:
    """hatchetd on `folder` and a free port; returns it and its address once it is ready."""
    daemon = subprocess.Popen(
        [sys.executable, "-m", "hatchetd", "--dir", str(folder), "--port", "0"],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "HATCHET_LOG_LEVEL": "WARNING"},
    )
    assert daemon.stdout is not None
    for line in daemon.stdout:
        print(f"  {line.rstrip()}")
        if " ready on " in line:
            return daemon, line.split(" ready on ", 1)[1].split(" ", 1)[0]
    raise SystemExit(f"hatchetd did not start (exit {daemon.wait()})")


def wait_for_run(client: Client, run_id: str, timeout: float = 30.0) -> RunTrace:
    deadline = time.monotonic() + timeout
    while True:
        trace = client.runs.get(run_id)
        if trace.run.status in FINAL or time.monotonic() > deadline:
            return trace
        time.sleep(0.05)


def show(trace: RunTrace) -> None:
    run = trace.run
    took = (run.finished_at - run.created_at).total_seconds() * 1000 if run.finished_at else 0
    print(f"\nrun {run.id}  {run.workflow_name}  {run.status}  {took:.0f} ms")
    for job in trace.jobs:
        print(f"├─ job {job.job_run.job_name}  {job.job_run.status}")
        for step in job.step_runs:
            print(
                f"│  └─ step {step.step_id} ({step.action})  {step.status}  attempt {step.attempt}"
            )
            print(f"│       input  {step.input}")
            print(f"│       output {step.output}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run the sign-up workflow once, end to end.")
    parser.add_argument("--dir", type=Path, default=ROOT / ".hatchet", help="default: .hatchet/")
    folder: Path = parser.parse_args(argv).dir
    print(f"starting hatchetd on {folder} …")
    daemon, address = start_daemon(folder)
    env = {**os.environ, "HATCHET_ADDRESS": address, "HATCHET_LOG_LEVEL": "WARNING"}
    worker = subprocess.Popen(
        [sys.executable, str(ROOT / "examples/worker.py"), "--name", "demo-worker"], env=env
    )
    try:
        with Client(address=address) as client:
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and not any(
                w.worker.status == "ACTIVE" for w in client.workers.list()
            ):
                time.sleep(0.05)
            print(f"pushing user:create {PAYLOAD}")
            event = client.events.push("user:create", PAYLOAD)
            print(f"event {event.id} triggered {len(event.run_ids)} run(s)")
            trace = wait_for_run(client, event.run_ids[0])
            show(trace)
            return 0 if trace.run.status == "SUCCEEDED" else 1
    finally:
        for process in (worker, daemon):
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=30)


if __name__ == "__main__":
    sys.exit(main())
