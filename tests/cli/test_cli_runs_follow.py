"""`hatchet runs show --watch` and `hatchet runs logs --follow` while a run happens.

The daemon is the in-process one of conftest.py; the steps run on a real SDK worker in a thread of
this process. Where a test must see output before the run moves on, the command runs as its own
process with a pipe for stdout (not a terminal, so it prints each new trace), read line by line.
"""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

import pytest
import yaml

from hatchet_cli.client import Client
from hatchet_cli.sdk import Context, Worker
from tests.cli.conftest import Hatchet

ROOT = Path(__file__).resolve().parents[2]
DEADLINE = 20.0
"""Seconds any one wait may take before the test fails."""

# -- helpers -------------------------------------------------------------------------------------


def ok(input: dict[str, Any], ctx: Context) -> dict[str, Any]:
    ctx.log(f"done with {ctx.step_run_id[:8]}")
    return {"ok": True}


def boom(input: dict[str, Any], ctx: Context) -> dict[str, Any]:
    raise RuntimeError("the newsletter service is down")


SIGN_UP_ACTIONS = ("sandbox:create", "postmark:email-from-template", "newsletter:add-user")


def sign_up_actions(overrides: dict[str, Callable[..., Any]] | None = None) -> dict[str, Any]:
    """The three actions of post-user-sign-up, each `ok` unless overridden."""
    overrides = overrides or {}
    assert set(overrides) <= set(SIGN_UP_ACTIONS)
    return {name: overrides.get(name, ok) for name in SIGN_UP_ACTIONS}


@contextmanager
def running_worker(address: str, actions: dict[str, Any]) -> Iterator[Worker]:
    """An SDK worker serving `actions` in a thread, registered before this yields."""
    worker = Worker("cli-test-worker", slots=4, address=address, reconnect_delay=0.05)
    for name, fn in actions.items():
        worker.register_action(name, fn)
    thread = threading.Thread(target=worker.run, name="cli-test-worker", daemon=True)
    thread.start()
    try:
        wait_until(lambda: worker.worker_id is not None, "the worker to register")
        yield worker
    finally:
        worker.stop()
        thread.join(DEADLINE)
        assert not thread.is_alive(), "the worker did not stop"


def wait_until(condition: Callable[[], object], what: str) -> None:
    deadline = time.monotonic() + DEADLINE
    while not condition():
        assert time.monotonic() < deadline, f"timed out after {DEADLINE}s waiting for {what}"
        time.sleep(0.02)


class Command:
    """`hatchet ...` as a process of its own, its stdout and stderr read as they come."""

    def __init__(self, address: str, *args: str) -> None:
        env = {k: v for k, v in os.environ.items() if k not in ("HATCHET_TOKEN", "NO_COLOR")}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "hatchet_cli.cli.app", "--address", address, *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            encoding="utf-8",
            env=env,
            cwd=ROOT,
        )
        self.stdout: list[str] = []
        self._lines: queue.Queue[str | None] = queue.Queue()
        self.stderr: list[str] = []
        assert self.process.stdout is not None
        assert self.process.stderr is not None
        self._readers = [
            threading.Thread(target=self._read, args=(self.process.stdout, self._lines.put)),
            threading.Thread(target=self._read, args=(self.process.stderr, self.stderr.append)),
        ]
        for reader in self._readers:
            reader.start()

    @staticmethod
    def _read(stream: IO[str], put: Callable[[Any], None]) -> None:
        with stream:
            for line in stream:
                put(line)
        put(None)  # the end

    def wait_for_line(self, predicate: Callable[[str], bool], what: str) -> str:
        """Read stdout until a line matches; that line."""
        deadline = time.monotonic() + DEADLINE
        while True:
            try:
                line = self._lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                pytest.fail(f"no {what} on stdout within {DEADLINE}s: {''.join(self.stdout)}")
            if line is None:
                pytest.fail(f"stdout ended without {what}: {''.join(self.stdout)}")
            self.stdout.append(line)
            if predicate(line):
                return line

    def finish(self) -> tuple[int, str, str]:
        """Wait for the process to exit; its exit code, all of stdout and all of stderr."""
        try:
            code = self.process.wait(DEADLINE)
        except subprocess.TimeoutExpired:
            self.process.kill()
            pytest.fail(f"still running after {DEADLINE}s: {''.join(self.stdout)}")
        for reader in self._readers:
            reader.join(DEADLINE)
        while (line := self._lines.get_nowait()) is not None:
            self.stdout.append(line)
        return code, "".join(self.stdout), "".join(filter(None, self.stderr))

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        for reader in self._readers:
            reader.join(DEADLINE)


@contextmanager
def command(address: str, *args: str) -> Iterator[Command]:
    started = Command(address, *args)
    try:
        yield started
    finally:
        started.kill()


def push(hatchet: Hatchet) -> str:
    """Push a sign-up event; the id of the run it triggered."""
    user = '{"user": {"email": "ada@example.com", "firstName": "Ada"}}'
    result = hatchet("events", "push", "user:create", "-d", user, "-o", "json")
    assert result.exit_code == 0, result.output
    run_id: str = json.loads(result.stdout)["run_ids"][0]
    return run_id


def run_status(block: str) -> str:
    """The run's status in one printed trace: the third field of its first line."""
    return block.splitlines()[0].split("  ")[2]


# -- runs show --watch ---------------------------------------------------------------------------


def test_watch_prints_the_trace_as_it_changes_and_exits_0_when_the_run_succeeds(
    hatchet: Hatchet,
) -> None:
    run_id = push(hatchet)
    with command(hatchet.address, "runs", "show", run_id, "--watch") as watch:
        first = watch.wait_for_line(lambda line: line.startswith("run "), "a trace")
        assert run_status(first) in ("PENDING", "RUNNING")  # no worker yet
        with running_worker(hatchet.address, sign_up_actions()):
            code, out, err = watch.finish()

    assert (code, err) == (0, ""), out
    traces = out.rstrip("\n").split("\n\n")
    assert len(traces) >= 2
    assert [run_status(trace) for trace in traces][-1] == "SUCCEEDED"
    assert [run_status(trace) for trace in traces].count("SUCCEEDED") == 1  # printed once, last
    for trace in traces:
        assert len([line for line in trace.splitlines() if " step " in line]) == 3
    final_steps = [line for line in traces[-1].splitlines() if " step " in line]
    assert all("  SUCCEEDED  attempt 1  worker " in line for line in final_steps)
    # The final trace is what `runs show` prints for the finished run.
    assert traces[-1] + "\n" == hatchet("runs", "show", run_id).stdout


def test_watch_exits_1_when_a_step_fails(hatchet: Hatchet) -> None:
    with running_worker(hatchet.address, sign_up_actions({"newsletter:add-user": boom})):
        run_id = push(hatchet)
        result = hatchet("runs", "show", run_id, "--watch")

    assert result.exit_code == 1
    final = result.stdout.rstrip("\n").split("\n\n")[-1]
    assert run_status(final) == "FAILED"
    failed = [line for line in final.splitlines() if "step addUserToNewsletter" in line]
    assert len(failed) == 1
    assert "  FAILED  attempt 1  " in failed[0]


def test_ctrl_c_ends_a_watch_quietly_with_130(hatchet: Hatchet) -> None:
    run_id = push(hatchet)
    with command(hatchet.address, "runs", "show", run_id, "--watch") as watch:
        watch.wait_for_line(lambda line: line.startswith("run "), "a trace")
        watch.process.send_signal(signal.SIGINT)
        code, _, err = watch.finish()
    assert (code, err) == (130, "")


def test_watch_of_a_cancelled_run_prints_it_once_and_exits_1(hatchet: Hatchet) -> None:
    run_id = push(hatchet)
    assert hatchet("runs", "cancel", run_id).exit_code == 0
    result = hatchet("runs", "show", run_id, "--watch")
    assert result.exit_code == 1
    assert result.stdout == hatchet("runs", "show", run_id).stdout


def test_watch_with_json_prints_only_the_final_trace(hatchet: Hatchet) -> None:
    with running_worker(hatchet.address, sign_up_actions()):
        run_id = push(hatchet)
        result = hatchet("runs", "show", run_id, "--watch", "-o", "json")

    assert result.exit_code == 0
    trace = json.loads(result.stdout)  # one document, not one per change
    assert trace["run"]["id"] == run_id
    assert trace["run"]["status"] == "SUCCEEDED"
    assert {step["status"] for job in trace["jobs"] for step in job["step_runs"]} == {"SUCCEEDED"}


def test_watch_of_an_unknown_run_exits_3(hatchet: Hatchet) -> None:
    result = hatchet("runs", "show", "nope", "--watch")
    assert (result.exit_code, result.stdout) == (3, "")
    assert result.stderr.startswith("error: ")
    assert "nope" in result.stderr
    assert len(result.stderr.splitlines()) == 1


def test_watch_without_a_daemon_exits_5(closed_address: str) -> None:
    result = Hatchet(closed_address)("runs", "show", "3f2a", "--watch")
    assert (result.exit_code, result.stdout) == (5, "")
    assert result.stderr.startswith(f"error: cannot reach the hatchet daemon at {closed_address}")
    assert len(result.stderr.splitlines()) == 1


# -- runs logs --follow --------------------------------------------------------------------------


def test_logs_follow_prints_lines_logged_after_it_started_and_stops_with_the_run(
    hatchet: Hatchet,
) -> None:
    gate, printed = threading.Event(), threading.Event()
    logged_at: list[float] = []

    def create_sandbox(input: dict[str, Any], ctx: Context) -> dict[str, Any]:
        ctx.log("creating the sandbox")
        gate.wait(DEADLINE)  # until the test has seen `logs -f` print the line above
        logged_at.append(time.monotonic())
        ctx.log("sandbox ready")
        printed.wait(DEADLINE)  # the step goes on until `logs -f` printed that line too
        return {"sandboxId": "sbx_1"}

    def has_logged(run_id: str) -> bool:
        with Client(hatchet.address) as client:
            return any(log.line == "creating the sandbox" for log in client.runs.logs(run_id))

    with running_worker(hatchet.address, sign_up_actions({"sandbox:create": create_sandbox})):
        run_id = push(hatchet)
        wait_until(lambda: has_logged(run_id), "the first log line")
        with command(hatchet.address, "runs", "logs", run_id, "--follow") as follow:
            follow.wait_for_line(lambda line: "creating the sandbox" in line, "the first line")
            gate.set()
            follow.wait_for_line(lambda line: "sandbox ready" in line, "the line logged later")
            took = time.monotonic() - logged_at[0]
            printed.set()
            code, out, err = follow.finish()

    assert took < 2.0, f"`logs -f` printed a line {took:.2f} s after the step logged it"

    assert (code, err) == (0, "")
    lines = [line.split("  ", 1)[1] for line in out.splitlines()]  # without the time
    assert lines.index("createSandbox  creating the sandbox") < lines.index(
        "createSandbox  sandbox ready"
    )
    assert len(lines) == 4  # two from createSandbox, one from each `ok` step: each once
    assert sorted(out.splitlines()) == sorted(hatchet("runs", "logs", run_id).stdout.splitlines())


def test_logs_follow_with_json_prints_json_lines(hatchet: Hatchet) -> None:
    with running_worker(hatchet.address, sign_up_actions()):
        run_id = push(hatchet)
        assert hatchet("runs", "show", run_id, "--watch", "-o", "id").exit_code == 0
    result = hatchet("runs", "logs", run_id, "--follow", "-o", "json")
    assert result.exit_code == 0
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(lines) == 3  # one per step: `ok` logs once
    assert lines == json.loads(hatchet("runs", "logs", run_id, "-o", "json").stdout)
    # YAML streams the same way: one document per line, each opened by `---`.
    documents = yaml.safe_load_all(hatchet("runs", "logs", run_id, "-f", "-o", "yaml").stdout)
    assert list(documents) == lines


def test_logs_follow_of_an_unknown_run_exits_3(hatchet: Hatchet) -> None:
    result = hatchet("runs", "logs", "nope", "--follow")
    assert (result.exit_code, result.stdout) == (3, "")
    assert len(result.stderr.splitlines()) == 1
