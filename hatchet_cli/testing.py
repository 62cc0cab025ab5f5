"""Test your workflow files and your actions together, from pytest, with nothing started by hand.

```python
import pytest
from hatchet_cli.testing import WorkflowEnvironment

from myapp.worker import worker            # your Worker, its actions registered


@pytest.fixture
def hatchet():
    with WorkflowEnvironment(".hatchet", workers=[worker]) as env:
        yield env


def test_signup_sends_the_welcome_mail(hatchet):
    pushed = hatchet.push("user:create", {"email": "ada@example.com"})
    [trace] = pushed.traces
    assert trace.run.status == "SUCCEEDED"
    assert trace.output("send-welcome")["sent_to"] == "ada@example.com"
```

`WorkflowEnvironment` starts a real `hatchetd` on a free port with a temporary SQLite file and a
copy of your workflow files, runs your `Worker`s in this process (each on a thread of its own,
connected to that daemon), and stops everything on exit. It is the same daemon and the same
worker code as in production, so what passes here runs there: templates are rendered, outputs
flow from step to step, retries and timeouts apply. Like Temporal's test environment it runs the
server as a child process; your actions run here, where your test can patch and inspect them.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from hatchet_cli.client import Client

if TYPE_CHECKING:
    from hatchet_cli.client import PushResult
    from hatchet_cli.sdk import Worker
    from hatchetd.contracts.runs import RunTrace

__all__ = ["EnvironmentNotReady", "WorkflowEnvironment"]

START_TIMEOUT = 30.0
"""Seconds the daemon and each worker get to be ready before `start()` gives up."""
_YAML = (".yaml", ".yml")


class EnvironmentNotReady(RuntimeError):
    """The test environment could not start: the daemon did not come up, a workflow file does
    not load, or a worker did not register. The message says which, with the daemon's log."""


class WorkflowEnvironment:
    """A temporary daemon with your workflow files and your workers, for one test or a session.

    `workflows`: a folder of workflow files (such as `.hatchet`), one file, or several files.
    `workers`: `Worker` objects to run here, connected to the temporary daemon (they are pointed
    at it whatever address they were made with). A workflow file that does not load fails
    `start()` with its error, unless `allow_invalid=True` (to test that a file is refused).

    Use it as a context manager, or call `start()` and `stop()`.
    """

    def __init__(
        self,
        workflows: str | os.PathLike[str] | Iterable[str | os.PathLike[str]],
        *,
        workers: Sequence[Worker] = (),
        allow_invalid: bool = False,
        start_timeout: float = START_TIMEOUT,
    ) -> None:
        self._files = _workflow_files(workflows)
        self._workers = list(workers)
        self._allow_invalid = allow_invalid
        self._start_timeout = start_timeout
        self._home: Path | None = None
        self._daemon: subprocess.Popen[bytes] | None = None
        self._threads: list[threading.Thread] = []
        self._worker_errors: list[BaseException] = []
        self._client: Client | None = None
        self.address: str | None = None
        """The temporary daemon's address, once started."""

    # -- life ----------------------------------------------------------------------------------

    def __enter__(self) -> WorkflowEnvironment:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def start(self) -> None:
        """Start the daemon on a free port, wait for it, then start and register the workers."""
        if self._daemon is not None:
            raise RuntimeError("this environment is already started")
        self._home = Path(tempfile.mkdtemp(prefix="hatchet-test-"))
        try:
            folder = self._home / ".hatchet"
            folder.mkdir()
            for file in self._files:
                shutil.copyfile(file, folder / file.name)
            self.address = self._start_daemon(folder)
            self._client = Client(self.address, token="", retry_for=0)
            self._check_workflows()
            for worker in self._workers:
                self._start_worker(worker)
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        """Stop the workers (gracefully), then the daemon; delete the temporary files."""
        for worker in self._workers:
            worker.stop()
        for thread in self._threads:
            thread.join(timeout=10.0)
        self._threads.clear()
        if self._client is not None:
            self._client.close()
            self._client = None
        if self._daemon is not None:
            with contextlib.suppress(ProcessLookupError):
                self._daemon.send_signal(signal.SIGTERM)
            try:
                self._daemon.wait(timeout=15.0)
            except subprocess.TimeoutExpired:
                self._daemon.kill()
                self._daemon.wait()
            self._daemon = None
        if self._home is not None:
            shutil.rmtree(self._home, ignore_errors=True)
            self._home = None
        self.address = None

    # -- what a test does ----------------------------------------------------------------------

    @property
    def client(self) -> Client:
        """A `Client` of the temporary daemon: everything the API offers."""
        if self._client is None:
            raise RuntimeError("the environment is not started: use it in a `with` block")
        return self._client

    def push(
        self, key: str, data: dict[str, Any] | None = None, *, timeout: float = 30.0
    ) -> PushResult:
        """Push an event and wait for every run it starts to finish; the event and the runs'
        final traces (`RunWaitTimeout` if they take longer than `timeout` seconds)."""
        self._raise_worker_errors()
        return self.client.events.push(key, data, wait=True, timeout=timeout)

    def run(
        self, workflow: str, input: dict[str, Any] | None = None, *, timeout: float = 30.0
    ) -> RunTrace:
        """Start a run of `workflow` by hand with `input` and wait for it: its final trace."""
        self._raise_worker_errors()
        trace: RunTrace = self.client.workflows.run(workflow, input, wait=True, timeout=timeout)
        return trace

    def daemon_log(self) -> str:
        """What the daemon has logged so far (warnings and errors), for a failing test."""
        if self._home is None:
            return ""
        return (self._home / "hatchetd.log").read_text(errors="replace")

    # -- internals -----------------------------------------------------------------------------

    def _start_daemon(self, folder: Path) -> str:
        assert self._home is not None
        log = self._home / "hatchetd.log"
        environ = {
            key: value for key, value in os.environ.items() if not key.startswith("HATCHET_")
        }
        environ["HATCHET_LOG_LEVEL"] = "WARNING"
        args = [sys.executable, "-m", "hatchetd", "--dir", str(folder), "--port", "0"]
        with log.open("wb") as out:
            self._daemon = subprocess.Popen(
                args, stdout=out, stderr=subprocess.STDOUT, env=environ, cwd=self._home
            )
        deadline = time.monotonic() + self._start_timeout
        while time.monotonic() < deadline:
            for line in log.read_text(errors="replace").splitlines():
                if " ready on " in line:
                    return line.split(" ready on ", 1)[1].split(" ", 1)[0]
            if self._daemon.poll() is not None:
                raise EnvironmentNotReady(
                    f"hatchetd exited with status {self._daemon.returncode} before it was "
                    f"ready:\n{self.daemon_log()}"
                )
            time.sleep(0.02)
        raise EnvironmentNotReady(
            f"hatchetd was not ready within {self._start_timeout:g} s:\n{self.daemon_log()}"
        )

    def _check_workflows(self) -> None:
        if self._allow_invalid:
            return
        listing = self.client.workflows.list()
        problems = [line for broken in listing.broken_files for line in broken.errors]
        if problems:
            raise EnvironmentNotReady("workflow files that do not load:\n" + "\n".join(problems))

    def _start_worker(self, worker: Worker) -> None:
        assert self.address is not None
        worker._serve_at(self.address, token=None)

        def serve() -> None:
            try:
                asyncio.run(worker.arun())
            except BaseException as exc:  # reported to the test by the next call
                self._worker_errors.append(exc)

        thread = threading.Thread(target=serve, name=f"hatchet worker {worker.name}", daemon=True)
        thread.start()
        self._threads.append(thread)
        deadline = time.monotonic() + self._start_timeout
        while time.monotonic() < deadline:
            self._raise_worker_errors()
            worker_id = worker.worker_id
            if worker_id is not None and any(
                info.worker.id == worker_id and info.worker.status == "ACTIVE"
                for info in self.client.workers.list()
            ):
                return
            time.sleep(0.01)
        raise EnvironmentNotReady(
            f"worker {worker.name!r} did not register within {self._start_timeout:g} s:\n"
            f"{self.daemon_log()}"
        )

    def _raise_worker_errors(self) -> None:
        if self._worker_errors:
            raise EnvironmentNotReady(
                f"a worker stopped with an error: {self._worker_errors[0]!r}"
            ) from self._worker_errors[0]


def _workflow_files(
    workflows: str | os.PathLike[str] | Iterable[str | os.PathLike[str]],
) -> list[Path]:
    """The workflow files named: a folder's YAML files, a file, or several files."""
    given = (
        [Path(workflows)]
        if isinstance(workflows, str | os.PathLike)
        else [Path(path) for path in workflows]
    )
    files: list[Path] = []
    for path in given:
        if path.is_dir():
            files += sorted(p for p in path.iterdir() if p.suffix in _YAML and p.is_file())
        elif path.is_file():
            files.append(path)
        else:
            raise FileNotFoundError(f"no workflow file or folder at {path}")
    if not files:
        raise FileNotFoundError(
            f"no workflow files (*.yaml, *.yml) in {', '.join(map(str, given))}"
        )
    names = [file.name for file in files]
    if len(set(names)) != len(names):
        raise ValueError(f"two workflow files share a name: {sorted(names)}")
    return files
