"""Runs, job runs and step runs as coloured text: statuses, durations and waterfall bars.

The cells come from the pure `hatchet_cli._waterfall` (`hatchet runs show` draws the same
bars); this module only colours them for Textual, so a run looks the same in the CLI and the TUI.
"""

from __future__ import annotations

from datetime import datetime

from rich.text import Text

from hatchet_cli._cells import took
from hatchet_cli._waterfall import IDLE, QUEUED, Bar

__all__ = ["STATUS_COLOURS", "bar_text", "duration", "elapsed", "status_text"]

STATUS_COLOURS = {
    "SUCCEEDED": "green",
    "FAILED": "red",
    "CANCELLED": "yellow",
    "RUNNING": "cyan",
    "ASSIGNED": "cyan",
    "PENDING": "bright_black",
    "PENDING_ASSIGNMENT": "bright_black",
}
"""The colour of each run, job run and step run status (the CLI's, plus grey for waiting)."""


def status_text(status: str) -> Text:
    """A status in its colour; FAILED in bold, so it stands out without colour too."""
    colour = STATUS_COLOURS.get(status, "")
    return Text(status, style=f"bold {colour}" if status == "FAILED" else colour)


def duration(
    started: datetime | None,
    finished: datetime | None,
    now: datetime,
    *,
    created: datetime | None = None,
) -> str:
    """How long something took (`4.0s`), or has been running so far (`3.2s…`); given when it
    was `created`, how long a step still waiting for a worker has waited (`queued 1.2s…`), which
    ticks as the running time does; else `-` if it has not started."""
    if started is None:
        if created is not None and finished is None:
            return f"queued {took(created, max(now, created))}…"
        return "-"
    if finished is None:
        return took(started, max(now, started)) + "…"
    return took(started, finished)


def elapsed(
    created: datetime, started: datetime | None, finished: datetime | None, now: datetime
) -> str:
    """`duration` as a phrase: `took 4.0s`, `took 3.2s…` while running, `queued 1.2s…`."""
    span = duration(started, finished, now, created=created)
    return span if span.startswith("queued") else f"took {span}"


def bar_text(bar: Bar, status: str) -> Text:
    """A waterfall bar: idle and queued cells dim, running cells in the colour of `status`."""
    text = Text()
    for glyph, length in bar.segments():
        if glyph in {IDLE, QUEUED}:
            text.append(glyph * length, style="dim")
        else:
            text.append(glyph * length, style=STATUS_COLOURS.get(status, ""))
    return text
