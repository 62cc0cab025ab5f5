"""The processes `hatchet dev` runs, and the one stream their output shares.

Each child runs in a process group of its own: Ctrl-C in the terminal reaches `hatchet dev`
alone, which then stops the children in the order that lets in-flight steps finish (workers,
then the daemon), and a signal to the group also reaches whatever a worker started itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TextIO

from hatchet_cli.cli.output import colour_enabled, style

SEPARATOR = " | "
READ_CHUNK = 64 * 1024
"""The longest piece of a line read at once; a longer line is written in pieces of this size."""
_WORKER_COLOURS = ("magenta", "green", "yellow", "blue", "red")


class LogSink:
    """Writes whole lines, each behind its process's name, to one stream.

    Every line goes out in one `write` from the event loop's thread, so lines of different
    processes interleave but are never torn.
    """

    def __init__(self, names: Sequence[str], stream: TextIO | None = None) -> None:
        self._stream = stream if stream is not None else sys.stdout
        self._width = max((len(name) for name in names), default=0)
        colour = colour_enabled() if stream is None else False
        self._colours: dict[str, str] = {}
        for index, name in enumerate(n for n in names if n not in ("hatchetd", "dev")):
            self._colours[name] = _WORKER_COLOURS[index % len(_WORKER_COLOURS)]
        self._colours["hatchetd"] = "cyan"
        self._colour = colour
        self.closed = False
        self.on_closed: Callable[[], None] | None = None
        """Called once when the reader of the stream has gone (`hatchet dev | head`)."""

    def line(self, name: str, text: str) -> None:
        """Write `text` (one line, without its newline) behind `name`'s prefix."""
        if self.closed:
            return
        prefix = f"{name.ljust(self._width)}{SEPARATOR}"
        if self._colour:
            prefix = style(prefix, fg=self._colours.get(name), bold=name == "dev")
        try:
            self._stream.write(f"{prefix}{text}\n")
            self._stream.flush()
        except BrokenPipeError:
            self.closed = True
            # Python's own flush at exit would complain about the same pipe.
            with contextlib.suppress(OSError, ValueError):
                os.dup2(os.open(os.devnull, os.O_WRONLY), self._stream.fileno())
            if self.on_closed is not None:
                self.on_closed()


@dataclass
class Child:
    """One process `hatchet dev` supervises: its command, and the running process if any."""

    name: str
    argv: Sequence[str]
    process: asyncio.subprocess.Process | None = None
    stopping: bool = False
    """Set while `hatchet dev` itself stops the process: its exit is expected, not a crash."""
    _pump: asyncio.Task[None] | None = field(default=None, repr=False)

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.returncode is None

    async def start(
        self, env: Mapping[str, str], sink: LogSink, on_line: Callable[[str], None] | None = None
    ) -> asyncio.subprocess.Process:
        """Start the process; its stdout and stderr go, line by line, to `sink` (and `on_line`)."""
        self.stopping = False
        self.process = await asyncio.create_subprocess_exec(
            *self.argv,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            env=dict(env),
            process_group=0,
        )
        assert self.process.stdout is not None
        self._pump = asyncio.create_task(
            _pump_lines(self.process.stdout, self.name, sink, on_line), name=f"{self.name} output"
        )
        return self.process

    async def wait(self) -> int:
        """The exit status, once the process has exited and its last line has been written."""
        assert self.process is not None
        code = await self.process.wait()
        if self._pump is not None:
            await self._pump
        return code

    async def stop(self, grace: float) -> int | None:
        """SIGTERM the process's group; SIGKILL it if it has not exited after `grace` seconds.

        The status it exited with; None if it was not running.
        """
        if self.process is None:
            return None
        self.stopping = True
        if self.process.returncode is None:
            self.signal(signal.SIGTERM)
            try:
                return await asyncio.wait_for(asyncio.shield(self.wait()), grace)
            except TimeoutError:
                self.signal(signal.SIGKILL)
        return await self.wait()

    def signal(self, signum: signal.Signals) -> None:
        """Send `signum` to the process and everything in its group."""
        if self.process is None or self.process.returncode is not None:
            return
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signum)


async def _pump_lines(
    stream: asyncio.StreamReader,
    name: str,
    sink: LogSink,
    on_line: Callable[[str], None] | None,
) -> None:
    while True:
        try:
            raw = await stream.readuntil(b"\n")
        except asyncio.IncompleteReadError as end:
            raw = end.partial  # the last line, without its newline; empty at the end
        except asyncio.LimitOverrunError as long_line:
            raw = await stream.read(min(long_line.consumed, READ_CHUNK) or READ_CHUNK)
        if not raw:
            return
        text = raw.decode(errors="replace").rstrip("\r\n")
        sink.line(name, text)
        if on_line is not None:
            on_line(text)


def child_environment(**extra: str) -> dict[str, str]:
    """This process's environment, with `extra`, and output unbuffered so lines arrive as
    they are printed rather than when a buffer fills."""
    return {**os.environ, "PYTHONUNBUFFERED": "1", **extra}
