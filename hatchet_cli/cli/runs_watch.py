"""Following a run as it happens: `hatchet runs show --watch` (`hatchet runs logs --follow` is the
client's `runs.follow_logs`).

`--watch` rereads the run whenever the daemon's change stream says it changed (and every few
seconds regardless, in case the stream is down). Only `trace_changes` knows how; what the command
draws only sees the traces it yields.
"""

from __future__ import annotations

import sys
import threading
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import typer

from hatchet_cli.cli.output import data, style
from hatchet_cli.cli.runs_trace import print_trace, trace_lines

if TYPE_CHECKING:
    from rich.console import RenderableType

    from hatchet_cli.client import Client
    from hatchetd.contracts.runs import RunTrace

__all__ = [
    "final_trace",
    "interrupt_exits_130",
    "trace_changes",
    "watch_trace",
]

WATCH_FALLBACK = 2.0
"""Seconds between two reads of a watched run when the change stream says nothing."""


def trace_changes(
    client: Client, run_id: str, *, interval: float = WATCH_FALLBACK
) -> Iterator[RunTrace]:
    """The run's trace now, then each time it differs from the last one, until (and including)
    a final one: reread as soon as the change stream reports a change to the run, else every
    `interval` seconds."""
    previous: RunTrace | None = None
    nudges: _Nudges | None = None
    try:
        while True:
            trace = client.runs.get(run_id)
            # The full id from now on: a prefix unique now may not stay so as runs are added.
            run_id = trace.run.id
            if trace != previous:
                yield trace
                previous = trace
            if trace.run.status.is_final:
                return
            if nudges is None:
                nudges = _Nudges(client, run_id)
            nudges.wait(interval)
    finally:
        if nudges is not None:
            nudges.close()


class _Nudges:
    """A thread following the change stream for one run: `wait()` returns early once the run,
    one of its jobs or steps changed, or once the stream is open (whatever changed between the
    first read and the subscription is then read too)."""

    def __init__(self, client: Client, run_id: str) -> None:
        from hatchet_cli.client import Client

        self._event = threading.Event()
        self._stream = Client(client.address, client.token)
        self._thread = threading.Thread(target=self._follow, args=(run_id,), daemon=True)
        self._thread.start()

    def _follow(self, run_id: str) -> None:
        from hatchet_cli.client import ChangesLost, DaemonUnreachable, HatchetError

        kinds = ("run", "job_run", "step_run")
        try:
            for _change in self._stream.changes(
                kinds=kinds, run_id=run_id, on_open=self._event.set
            ):
                self._event.set()
        except (ChangesLost, DaemonUnreachable, HatchetError):
            pass  # the timed rereads carry on without the stream

    def wait(self, timeout: float) -> None:
        self._event.wait(timeout)
        self._event.clear()

    def close(self) -> None:
        self._stream.close()  # ends the stream even mid-read; the thread returns
        self._thread.join(2)


def final_trace(changes: Iterator[RunTrace]) -> RunTrace:
    """The last trace of `changes`, the final one, once it comes; nothing is drawn meanwhile."""
    (last,) = deque(changes, maxlen=1)  # trace_changes yields at least one
    return last


def watch_trace(changes: Iterator[RunTrace], *, verbose: bool) -> RunTrace:
    """Draw each trace of `changes` for a person and return the last (final) one: redrawn in
    place on a terminal, printed anew (after a blank line) each time it changes otherwise."""
    if _stdout_is_terminal():
        return _live(changes, verbose=verbose)
    last: RunTrace | None = None
    for trace in changes:
        if last is not None:
            data()
        print_trace(trace, verbose=verbose)
        last = trace
    assert last is not None, "trace_changes yields at least one trace"
    return last


def _live(changes: Iterator[RunTrace], *, verbose: bool) -> RunTrace:
    # rich.live here, not at the top: `hatchet --help` and every other command never need it.
    from rich.live import Live

    view = _LiveTrace(next(changes), verbose=verbose)
    # Redrawn by Live's own timer too, not only on a change: the bars grow with the clock.
    with Live(view, auto_refresh=True, refresh_per_second=4) as live:
        try:
            for trace in changes:
                view.trace = trace
                live.refresh()
        finally:
            view.watching = False  # Live draws once more as it stops: that one stays on screen
    return view.trace


class _LiveTrace:
    """What `Live` draws: the latest trace, with the bars' axis ending at the moment of drawing."""

    def __init__(self, trace: RunTrace, *, verbose: bool) -> None:
        self.trace = trace
        self.verbose = verbose
        self.watching = True

    def __rich__(self) -> RenderableType:
        from rich.text import Text

        lines = trace_lines(self.trace, now=datetime.now(UTC), verbose=self.verbose)
        if self.watching:
            lines.append(style("watching; Ctrl-C stops", dim=True))
        # style() already wrote the colours as ANSI codes (none with NO_COLOR); Rich keeps them.
        # Long lines are cut, not wrapped: Live must know how many rows it drew to redraw them.
        return Text.from_ansi("\n".join(lines), no_wrap=True, overflow="ellipsis")


def _stdout_is_terminal() -> bool:
    try:
        return sys.stdout.isatty()
    except (AttributeError, ValueError):  # a replaced or closed stream
        return False


@contextmanager
def interrupt_exits_130() -> Iterator[None]:
    """Ctrl-C ends a watch quietly with exit 130 (128 + SIGINT), as a shell reports it."""
    try:
        yield
    except KeyboardInterrupt:
        raise typer.Exit(130) from None
