"""`hatchet dev`'s loop: hatchetd, then the workers, restarted as their code changes.

One asyncio loop owns every child and writes every line (`dev_processes.py`); what happens — a
signal, a child's exit, a saved file — arrives on one queue and is handled in turn, so a restart
never overlaps a shutdown.
"""

from __future__ import annotations

import asyncio
import errno
import signal
import socket
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hatchet_cli.cli.dev_processes import Child, LogSink, child_environment

WORKER_GRACE = 5.0
"""Seconds a worker gets to finish its running steps when stopped, before it is killed."""
DAEMON_GRACE = 15.0
"""Seconds hatchetd gets to drain (its own drain timeout is 10 s by default) before it is killed."""
EXIT_OK = 0
EXIT_ERROR = 1
_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
"""Each stops everything: SIGHUP too, as the children, in process groups of their own, would
not get the terminal's hang-up."""


@dataclass(frozen=True)
class DevPlan:
    """What `hatchet dev` runs."""

    folder: Path
    """The workflow folder hatchetd watches."""
    host: str
    port: int
    """hatchetd's port; 0 lets it pick a free one (its ready line names it)."""
    workers: tuple[Path, ...]
    """The worker scripts, each run as `python SCRIPT` with HATCHET_ADDRESS set."""
    python: str = sys.executable


def port_taken(host: str, port: int) -> bool:
    """Whether something already listens on `host:port` (bound as hatchetd binds it)."""
    if port == 0:
        return False
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            return exc.errno == errno.EADDRINUSE
    return False


def worker_names(scripts: Sequence[Path]) -> list[str]:
    """A short name per script for its log prefix: the file's stem, unless two share it."""
    stems = [script.stem for script in scripts]
    return [
        stem if stems.count(stem) == 1 else f"{stem}#{index + 1}"
        for index, stem in enumerate(stems)
    ]


def affected(scripts: Sequence[Path], changed: Iterable[Path]) -> list[int]:
    """The indexes of the workers to restart for `changed` files.

    A worker's own script restarts that worker alone; any other Python file restarts every
    worker whose folder holds it (each may import it).
    """
    hit: set[int] = set()
    for path in changed:
        if path in scripts:
            hit.add(scripts.index(path))
            continue
        hit.update(i for i, script in enumerate(scripts) if path.is_relative_to(script.parent))
    return sorted(hit)


class DevSupervisor:
    """Runs a `DevPlan` until a signal, or until hatchetd dies; `run()` is the exit status."""

    def __init__(self, plan: DevPlan, sink: LogSink | None = None) -> None:
        self.plan = plan
        self.names = worker_names(plan.workers)
        self.sink = sink or LogSink(["hatchetd", "dev", *self.names])
        daemon_argv = ["-m", "hatchetd", "--dir", str(plan.folder), "--host", plan.host]
        self.daemon = Child("hatchetd", [plan.python, *daemon_argv, "--port", str(plan.port)])
        self.workers = [
            Child(name, [plan.python, str(script)])
            for name, script in zip(self.names, plan.workers, strict=True)
        ]
        self._happenings: asyncio.Queue[tuple[str, object]] = asyncio.Queue()
        self._signals = 0
        # Nobody reads the output any more: stop as if told to (as `tail -f | head` would end).
        self.sink.on_closed = lambda: self._on_signal(signal.SIGPIPE)

    def say(self, text: str) -> None:
        self.sink.line("dev", text)

    async def run(self) -> int:
        loop = asyncio.get_running_loop()
        for signum in _SIGNALS:
            loop.add_signal_handler(signum, self._on_signal, signum)
        try:
            return await self._run()
        finally:
            for signum in _SIGNALS:
                loop.remove_signal_handler(signum)

    def _on_signal(self, signum: signal.Signals) -> None:
        self._signals += 1
        if self._signals == 1:
            self._happenings.put_nowait(("signal", signum))
            return
        self.say(f"{signum.name} again: killing everything now")
        for child in [*self.workers, self.daemon]:
            child.signal(signal.SIGKILL)

    async def _run(self) -> int:
        address = await self._start_daemon()
        if address is None:
            return EXIT_OK if self._signals else EXIT_ERROR
        environment = child_environment(HATCHET_ADDRESS=address)
        if self.workers:
            folders = ", ".join(sorted({str(_shown(s.parent)) for s in self.plan.workers}))
            self.say(
                f"hatchetd is ready on {address}; starting {_count(self.workers, 'worker')}, "
                f"restarted when a .py file in {folders} changes. Ctrl-C stops everything."
            )
        else:
            self.say(f"hatchetd is ready on {address}; no workers given. Ctrl-C stops it.")
        for worker in self.workers:
            await self._start_worker(worker, environment)
        stop_watching = asyncio.Event()
        watcher = asyncio.create_task(self._watch(stop_watching), name="dev watcher")
        try:
            return await self._supervise(environment)
        finally:
            stop_watching.set()
            watcher.cancel()
            await asyncio.gather(watcher, return_exceptions=True)
            await self._stop_all()

    async def _start_daemon(self) -> str | None:
        """Start hatchetd and wait for its ready line; its address, or None if it did not start."""
        ready: asyncio.Future[str] = asyncio.get_running_loop().create_future()

        def read(line: str) -> None:
            if " ready on " in line and not ready.done():
                ready.set_result(line.split(" ready on ", 1)[1].split(" ", 1)[0])

        await self.daemon.start(child_environment(), self.sink, read)
        exited = asyncio.create_task(self.daemon.wait())
        signalled = asyncio.create_task(self._happenings.get())
        first: set[asyncio.Future[Any]] = {ready, exited, signalled}
        await asyncio.wait(first, return_when=asyncio.FIRST_COMPLETED)
        if ready.done():
            self._keep_or_cancel(signalled)
            self._watch_exit(self.daemon, exited)
            return ready.result()
        if signalled.done():
            await self.daemon.stop(DAEMON_GRACE)
        else:
            self._keep_or_cancel(signalled)
            self.say(f"hatchetd exited with status {exited.result()} before it was ready")
        return None

    def _keep_or_cancel(self, getting: asyncio.Task[tuple[str, object]]) -> None:
        """Stop waiting on the queue; what arrived meanwhile (a signal) goes back on it."""
        if getting.done():
            self._happenings.put_nowait(getting.result())
        else:
            getting.cancel()

    def _watch_exit(self, child: Child, exited: asyncio.Task[int] | None = None) -> None:
        """Put ("exit", child) on the queue when `child`'s current process exits."""
        process = child.process
        waiting = exited or asyncio.create_task(child.wait())

        def done(task: asyncio.Task[int]) -> None:
            if not task.cancelled() and child.process is process and not child.stopping:
                self._happenings.put_nowait(("exit", child))

        waiting.add_done_callback(done)

    async def _start_worker(self, worker: Child, environment: dict[str, str]) -> None:
        await worker.start(environment, self.sink)
        self._watch_exit(worker)

    async def _supervise(self, environment: dict[str, str]) -> int:
        while True:
            kind, subject = await self._happenings.get()
            if kind == "signal":
                assert isinstance(subject, signal.Signals)
                self.say(f"{subject.name}: stopping the workers, then hatchetd")
                return EXIT_OK
            if kind == "exit" and subject is self.daemon:
                code = self.daemon.process.returncode if self.daemon.process else None
                self.say(f"hatchetd exited unexpectedly (status {code}); stopping the workers")
                return EXIT_ERROR
            if kind == "exit":
                assert isinstance(subject, Child)
                code = subject.process.returncode if subject.process else None
                self.say(
                    f"{subject.name} exited with status {code}; "
                    "it starts again when its code changes"
                )
            if kind == "changed":
                assert isinstance(subject, list)
                await self._restart(subject, environment)

    async def _restart(self, indexes: list[int], environment: dict[str, str]) -> None:
        for index in indexes:
            worker = self.workers[index]
            if worker.running:
                self.say(f"code changed: restarting {worker.name}")
                await worker.stop(WORKER_GRACE)
            else:
                self.say(f"code changed: starting {worker.name}")
            await self._start_worker(worker, environment)

    async def _watch(self, stop: asyncio.Event) -> None:
        from watchfiles import PythonFilter, awatch

        scripts = list(self.plan.workers)
        folders = _outermost({script.parent for script in scripts})
        if not folders:
            return
        # `step` is the quiet time that ends a burst of writes (an editor's save-and-rename).
        async for changes in awatch(
            *folders, watch_filter=PythonFilter(), stop_event=stop, step=200
        ):
            indexes = affected(scripts, {Path(path).resolve() for _, path in changes})
            if indexes:
                self._happenings.put_nowait(("changed", indexes))

    async def _stop_all(self) -> None:
        """Workers first, so their running steps can report to the daemon; then hatchetd."""
        await asyncio.gather(*(worker.stop(WORKER_GRACE) for worker in self.workers))
        was_running = self.daemon.running
        code = await self.daemon.stop(DAEMON_GRACE)
        if was_running and code not in (None, 0):
            self.say(f"hatchetd exited with status {code}")


def _outermost(folders: set[Path]) -> list[Path]:
    """The folders not inside another of them (a recursive watch on each covers the rest)."""
    return sorted(f for f in folders if not any(f != o and f.is_relative_to(o) for o in folders))


def _shown(path: Path) -> Path:
    try:
        return path.relative_to(Path.cwd())
    except ValueError:
        return path


def _count(items: Sequence[object], noun: str) -> str:
    return f"{len(items)} {noun}{'' if len(items) == 1 else 's'}"


def run_dev(plan: DevPlan) -> int:
    """Run `hatchet dev` with `plan` to the end; the exit status."""
    return asyncio.run(DevSupervisor(plan).run())
