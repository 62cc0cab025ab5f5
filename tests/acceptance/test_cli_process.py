"""The `hatchet` console script against a real `hatchetd` and example worker, as a script would
use it: push and wait, show the run, replay with an edit, find the replay's run; the JSON read
back and the exit codes are what scripts rely on."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from acceptance_support import ROOT, Daemon, Workers, start_daemon, stop, wait_until_loaded

HATCHET = str(Path(sys.executable).with_name("hatchet"))
SIGN_UP = {"user": {"firstName": "Ada", "email": "ada@example.com"}}


def hatchet(daemon: Daemon, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("HATCHET_ADDRESS", "HATCHET_TOKEN")}
    return subprocess.run(
        [HATCHET, "--address", daemon.address, *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env=env,
    )


def as_json(done: subprocess.CompletedProcess[str]) -> Any:
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_push_wait_show_replay_through_the_console_script(daemon: Daemon, workers: Workers) -> None:
    shutil.copy(ROOT / ".hatchet/post-user-sign-up.yaml", daemon.folder)
    wait_until_loaded(daemon, "post-user-sign-up")
    workers.start(daemon)

    pushed = as_json(
        hatchet(
            daemon,
            "events",
            "push",
            "user:create",
            "-d",
            json.dumps(SIGN_UP),
            "--wait",
            "-o",
            "json",
        )
    )
    event = pushed["event"]
    (run,) = pushed["runs"]
    assert run["status"] == "SUCCEEDED"

    trace = as_json(hatchet(daemon, "runs", "show", run["id"][:8], "-o", "json"))
    steps = {s["step_id"]: s for job in trace["jobs"] for s in job["step_runs"]}
    assert steps["greetUser"]["input"]["firstName"] == "Ada"
    assert all(s["status"] == "SUCCEEDED" for s in steps.values())

    replayed = as_json(
        hatchet(
            daemon,
            "events",
            "replay",
            event["id"][:8],
            "--set",
            "user.firstName=Grace",
            "-o",
            "json",
        )
    )
    (again,) = replayed["events"]
    assert again["replayed_from_id"] == event["id"]
    assert again["data"]["user"] == {"firstName": "Grace", "email": "ada@example.com"}

    ids = hatchet(daemon, "runs", "list", "--event", again["id"], "-o", "id")
    assert ids.returncode == 0, ids.stderr
    (new_run_id,) = ids.stdout.split()
    final = as_json(hatchet(daemon, "runs", "show", new_run_id, "--watch", "-o", "json"))
    greet = next(s for j in final["jobs"] for s in j["step_runs"] if s["step_id"] == "greetUser")
    assert greet["input"]["firstName"] == "Grace"


def test_errors_are_one_line_and_an_exit_code(daemon: Daemon, tmp_path: Path) -> None:
    missing = hatchet(daemon, "runs", "show", "ffffffff")
    assert missing.returncode == 3
    assert missing.stderr == "error: no run with an id starting 'ffffffff'\n"

    bad_json = hatchet(daemon, "events", "push", "a:b", "-d", "{nope")
    assert bad_json.returncode == 6
    assert bad_json.stderr.count("\n") == 1
    assert bad_json.stderr.startswith("error: ")

    no_file = hatchet(daemon, "events", "push", "a:b", "-d", f"@{tmp_path / 'nope.json'}")
    assert no_file.returncode == 6
    assert "Traceback" not in no_file.stderr

    # A daemon that was there and stopped; on a folder of its own, since `daemon` holds this
    # folder's SQLite file.
    stopped = start_daemon(tmp_path / "gone" / ".hatchet")
    address = stopped.address
    assert stop(stopped.process) == 0
    away = subprocess.run(
        [HATCHET, "--address", address, "status"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert away.returncode == 5
    assert away.stderr.startswith(f"error: cannot reach the hatchet daemon at {address}")
    assert "start it with `hatchetd`" in away.stderr
