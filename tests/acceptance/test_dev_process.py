"""`hatchet dev` as a user runs it: a project with a workflow and a worker script, one command.

Real processes throughout: the console script, the hatchetd it starts and the worker scripts it
runs. Each test reads the command's interleaved output as the user would see it.
"""

from __future__ import annotations

import os
import shlex
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from acceptance_support import Daemon, wait_exit, wait_for

pytestmark = pytest.mark.acceptance

HATCHET = str(Path(sys.executable).with_name("hatchet"))

WORKFLOW = """\
name: greet
version: v1
triggers:
  events:
    - greet:ask
jobs:
  greet:
    steps:
      - id: say
        action: greet:say
        with:
          name: "{{ .input.name }}"
"""

WORKER = """\
from hatchet_cli import Context, Worker

worker = Worker("greeter", slots=2)


@worker.action("greet:say")
def say(input: dict, ctx: Context) -> dict:
    print("greeting", input["name"])
    return {"greeting": "GREETING " + input["name"]}


print("greeter starting")
worker.run()
"""


OTHER_WORKER = """\
from hatchet_cli import Context, Worker

worker = Worker("other", slots=1)
worker.register_action("other:noop", lambda input, ctx: {})
print("other starting")
worker.run()
"""


class DevSession:
    """A running `hatchet dev`, its output collected line by line as it arrives."""

    def __init__(self, project: Path, *args: str, reader: bool = True) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("HATCHET_")}
        env["HATCHET_LOG_LEVEL"] = "INFO"
        self.process = subprocess.Popen(
            [HATCHET, "dev", *args, "--port", "0"],
            cwd=project,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=env,
        )
        self.project = project
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        if reader:
            self._reader.start()

    def join(self) -> None:
        """Wait until every line the process wrote has been collected."""
        if self._reader.ident is not None:
            self._reader.join(timeout=5)

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line.rstrip("\n"))

    def output(self) -> str:
        return "\n".join(self.lines)

    def count(self, predicate: Callable[[str], bool]) -> int:
        return sum(1 for line in list(self.lines) if predicate(line))

    def wait_line(self, predicate: Callable[[str], bool], *, n: int = 1, what: str) -> str:
        def seen() -> str | None:
            if self.process.poll() is not None and self.count(predicate) < n:
                self.join()
                pytest.fail(f"hatchet dev exited {self.process.returncode}:\n{self.output()}")
            found = [line for line in list(self.lines) if predicate(line)]
            return found[n - 1] if len(found) >= n else None

        return wait_for(seen, timeout=30, what=f"{what} in:\n{self.output()}")

    def daemon(self) -> Daemon:
        ready = self.wait_line(lambda line: " ready on " in line, what="hatchetd's ready line")
        address = ready.split(" ready on ", 1)[1].split(" ", 1)[0]
        return Daemon(self.process, address, self.project / ".hatchet")

    def said(self, name: str, text: str) -> int:
        """How many lines `name` printed that read `text`."""
        lines = [line.partition(" | ") for line in list(self.lines)]
        return sum(1 for prefix, _, said in lines if prefix.rstrip() == name and said == text)

    def registrations(self) -> int:
        """How many times hatchetd has seen the greeter register."""
        return self.count(
            lambda line: line.startswith("hatchetd") and "(greeter) registered" in line
        )

    def children(self) -> list[int]:
        """The pids of the processes `hatchet dev` started (its direct children)."""
        pids = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == self.process.pid:
                pids.append(int(stat.parent.name))
        return pids

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
        code = wait_exit(self.process, timeout=30)
        self.join()
        return code

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self.join()
        if self.process.stdout is not None:
            self.process.stdout.close()


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A user's project: `.hatchet/greet.yaml` and `worker.py` beside it."""
    root = tmp_path / "project"
    (root / ".hatchet").mkdir(parents=True)
    (root / ".hatchet/greet.yaml").write_text(WORKFLOW)
    (root / "worker.py").write_text(WORKER)
    return root


@pytest.fixture
def dev(project: Path) -> Iterator[Callable[..., DevSession]]:
    sessions: list[DevSession] = []

    def start(*args: str, reader: bool = True) -> DevSession:
        session = DevSession(project, *args, reader=reader)
        sessions.append(session)
        return session

    yield start
    for session in sessions:
        session.kill()


def greet(daemon: Daemon, name: str) -> dict[str, object]:
    response = daemon.post("/api/v1/events", {"key": "greet:ask", "data": {"name": name}})
    assert response.status_code == 201, response.text
    (run_id,) = response.json()["run_ids"]
    trace = daemon.wait_for_run(run_id, timeout=30)
    assert trace["run"]["status"] == "SUCCEEDED", trace
    (step,) = [s for job in trace["jobs"] for s in job["step_runs"]]
    output: dict[str, object] = step["output"]
    return output


def gone(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return True
    return state == "Z"


def test_a_run_succeeds_a_saved_worker_restarts_alone_and_ctrl_c_stops_everything(
    project: Path, dev: Callable[..., DevSession]
) -> None:
    (project / "other_worker.py").write_text(OTHER_WORKER)
    session = dev("worker.py", "other_worker.py")
    daemon = session.daemon()
    assert greet(daemon, "Ada") == {"greeting": "GREETING Ada"}

    worker = project / "worker.py"
    worker.write_text(WORKER.replace("GREETING ", "Welcome, "))
    session.wait_line(lambda line: "restarting worker" in line, what="the restart")
    wait_for(lambda: session.registrations() == 2, timeout=30, what="the restarted worker")
    assert greet(daemon, "Ada") == {"greeting": "Welcome, Ada"}
    assert session.said("worker", "greeting Ada") == 2
    assert session.said("worker", "greeter starting") == 2
    assert session.said("other_worker", "other starting") == 1  # its file did not change
    assert "restarting other_worker" not in session.output()

    prefixes = {line.split(" | ", 1)[0].strip() for line in session.lines if " | " in line}
    assert prefixes == {"hatchetd", "worker", "other_worker", "dev"}
    assert all(" | " in line for line in session.lines), session.output()

    children = session.children()
    assert len(children) == 3  # hatchetd and the two workers
    assert session.stop() == 0, session.output()
    assert all(gone(pid) for pid in children), session.output()
    assert "SIGINT: stopping the workers, then hatchetd" in session.output()


def test_a_broken_worker_is_reported_not_restarted_in_a_loop_and_runs_once_fixed(
    project: Path, dev: Callable[..., DevSession]
) -> None:
    worker = project / "worker.py"
    worker.write_text(WORKER.replace("def say(", "def say(("))
    session = dev("worker.py")
    daemon = session.daemon()
    session.wait_line(
        lambda line: line.startswith("dev") and "worker exited with status 1" in line,
        what="the crash report",
    )
    assert session.count(lambda line: line.startswith("worker") and "SyntaxError" in line) == 1

    # Nothing changed, so nothing may start it again: watch for a second for a hot loop.
    deadline = time.monotonic() + 1.0
    while time.monotonic() < deadline:
        assert session.count(lambda line: "SyntaxError" in line) == 1, session.output()
        time.sleep(0.05)

    worker.write_text(WORKER)
    session.wait_line(lambda line: "starting worker" in line, what="the fixed worker starting")
    assert greet(daemon, "Grace") == {"greeting": "GREETING Grace"}
    assert session.stop() == 0, session.output()


def test_hatchetd_dying_stops_the_workers_and_exits_1(dev: Callable[..., DevSession]) -> None:
    session = dev("worker.py")
    session.daemon()
    wait_for(session.registrations, timeout=30, what="the worker to register")
    children = session.children()
    (daemon_pid,) = [
        pid for pid in children if "-m\0hatchetd\0" in Path(f"/proc/{pid}/cmdline").read_text()
    ]
    os.kill(daemon_pid, signal.SIGKILL)
    assert wait_exit(session.process, timeout=30) == 1
    session.join()
    assert "hatchetd exited unexpectedly (status -9); stopping the workers" in session.output()
    assert all(gone(pid) for pid in children)


def test_a_taken_port_is_one_line(project: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run(
            [HATCHET, "dev", "worker.py", "--port", str(port)],
            cwd=project,
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    assert done.returncode == 1
    assert (
        done.stderr == f"error: port {port} is taken (another hatchetd?): stop it, or pass --port\n"
    )
    assert done.stdout == ""


def test_a_missing_worker_script_is_a_usage_error(project: Path) -> None:
    done = subprocess.run(
        [HATCHET, "dev", "wroker.py"],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert done.returncode == 2
    assert (
        done.stderr == "error: no worker script wroker.py: name a Python file that runs a worker\n"
    )


def test_in_a_terminal_prefixes_are_coloured_and_ctrl_c_exits_0(project: Path) -> None:
    from tmux_pane import Pane

    command = (
        f"cd {shlex.quote(str(project))} && "
        f"env -u HATCHET_ADDRESS HATCHET_LOG_LEVEL=INFO {shlex.quote(HATCHET)} "
        "dev worker.py --port 0"
    )
    pane = Pane(command, project.parent / "dev.status", width=160, height=40)
    try:
        pane.wait_for_text("worker   | greeter starting", timeout=30)
        coloured = pane.tmux("capture-pane", "-p", "-e", "-t", "pane")
        # The name and its bar are drawn in a colour of their own (an SGR sequence before them).
        assert "\x1b[36mhatchetd |" in coloured, coloured
        assert "\x1b[35mworker   |" in coloured, coloured
        pane.keys("C-c")
        wait_for(pane.exited, timeout=30, what="hatchet dev to exit after Ctrl-C")
        assert pane.exited() == "exit 0", pane.screen()
        assert "SIGINT: stopping the workers, then hatchetd" in pane.screen()
        assert (
            "again" not in pane.screen()
        )  # one Ctrl-C is one signal: the children get theirs from dev
    finally:
        pane.close()


def test_a_second_dev_in_the_same_project_says_why_hatchetd_did_not_start(
    project: Path, dev: Callable[..., DevSession]
) -> None:
    first = dev("worker.py")
    first.daemon()
    second = dev("worker.py")
    assert wait_exit(second.process, timeout=30) == 1
    second.join()
    assert second.lines[-1] == "dev      | hatchetd exited with status 1 before it was ready"
    assert any(line.startswith("hatchetd | hatchetd: ") for line in second.lines), second.output()
    assert not any(line.startswith("worker") for line in second.lines), second.output()
    assert first.process.poll() is None
    assert first.stop() == 0


def test_when_the_reader_of_its_output_goes_away_everything_stops(
    dev: Callable[..., DevSession],
) -> None:
    session = dev("worker.py", reader=False)
    assert session.process.stdout is not None
    while "greeter starting" not in session.process.stdout.readline():
        pass
    children = session.children()
    session.process.stdout.close()  # as `hatchet dev worker.py | head` does once it has its lines
    assert wait_exit(session.process, timeout=30) == 0
    assert all(gone(pid) for pid in children)
