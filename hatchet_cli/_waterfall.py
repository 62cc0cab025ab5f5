"""The waterfall bars of `hatchet runs show` and of the TUI's trace: where each job run and step
run sits on its run's time axis. Shared by the CLI and the TUI, so it imports neither.

Pure: a trace and the moment `now` in, cells out (colour is the caller's business), so the bars
are tested with fixed times. The axis spans the run, from its `created_at` to its `finished_at`
(or `now` while it runs) over `width` cells; a bar shows its span's queued part (created until
started: waiting for a worker, `░`) and running part (started until finished or now, `█`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from hatchetd.contracts.runs import RunTrace

__all__ = ["BAR_WIDTH", "IDLE", "QUEUED", "RUNNING", "Axis", "Bar", "waterfall"]

BAR_WIDTH = 24
"""Cells in a bar: wide enough to tell steps apart, narrow enough for an 80-column terminal."""
IDLE = "·"
"""A cell of the axis outside the span: it shows where the axis ends."""
QUEUED = "░"
RUNNING = "█"


@dataclass(frozen=True)
class Bar:
    """One span on the axis, as cell ranges `[start, end)`; an empty range draws nothing."""

    width: int
    queued: tuple[int, int] = (0, 0)
    running: tuple[int, int] = (0, 0)

    def segments(self) -> list[tuple[str, int]]:
        """Consecutive runs of one kind of cell, left to right, as (`IDLE`, `QUEUED` or
        `RUNNING`, length): what a caller colours."""
        cells = [IDLE] * self.width
        # Running is drawn over queued: where both share a cell, the work is what matters.
        for glyph, (start, end) in ((QUEUED, self.queued), (RUNNING, self.running)):
            cells[start:end] = [glyph] * max(0, end - start)
        segments: list[tuple[str, int]] = []
        for cell in cells:
            if segments and segments[-1][0] == cell:
                segments[-1] = (cell, segments[-1][1] + 1)
            else:
                segments.append((cell, 1))
        return segments

    def text(self) -> str:
        """The bar as plain cells."""
        return "".join(glyph * length for glyph, length in self.segments())


@dataclass(frozen=True)
class Axis:
    """The run's time axis: `start` at the left edge of cell 0, `end` at the right edge of the
    last cell."""

    start: datetime
    end: datetime
    width: int = BAR_WIDTH

    @classmethod
    def of(cls, trace: RunTrace, now: datetime, width: int = BAR_WIDTH) -> Axis:
        """The axis of a run: its creation to its end, or to `now` while it is not final."""
        run = trace.run
        # While it runs, past every time the trace holds: the daemon's clock may be ahead of ours.
        end = run.finished_at or max([now, *_moments(trace)])
        return cls(run.created_at, max(end, run.created_at), width)

    def position(self, moment: datetime) -> float:
        """Where `moment` falls, in cells from the left edge (clamped to the axis)."""
        total = (self.end - self.start).total_seconds()
        if total <= 0:
            return 0.0
        offset = (moment - self.start).total_seconds() / total * self.width
        # Rounded so that float noise (8.000000001) does not spill into the next cell.
        return min(max(round(offset, 6), 0.0), float(self.width))

    def bar(
        self,
        created: datetime,
        started: datetime | None,
        finished: datetime | None,
        now: datetime,
    ) -> Bar:
        """The bar of a span created at `created`, started at `started` (None: not yet, or never
        when it is finished) and finished at `finished` (None: still open at `now`)."""
        end = finished if finished is not None else max(now, created)
        queued_until = started if started is not None else end
        queued = self._cells(created, queued_until, at_least_one=False)
        running = (0, 0)
        if started is not None:
            # A step that ran, however briefly, gets a cell: a 5 ms step in a 10 min run is still
            # something that happened.
            running = self._cells(started, max(end, started), at_least_one=True)
        return Bar(self.width, queued, running)

    def _cells(self, start: datetime, end: datetime, *, at_least_one: bool) -> tuple[int, int]:
        if end <= start and not at_least_one:
            return (0, 0)
        first = min(math.floor(self.position(start)), self.width - 1)
        last = min(math.ceil(self.position(end)), self.width)
        return (first, max(last, first + 1))


def waterfall(trace: RunTrace, now: datetime, width: int = BAR_WIDTH) -> dict[str, Bar]:
    """The bar of every job run and step run of `trace`, by its id, on the run's axis."""
    axis = Axis.of(trace, now, width)
    # What is still open reaches the axis' end, which is past `now` if the daemon's clock is ahead.
    now = max(now, axis.end)
    bars: dict[str, Bar] = {}
    for job in trace.jobs:
        job_run = job.job_run
        bars[job_run.id] = axis.bar(
            job_run.created_at, job_run.started_at, job_run.finished_at, now
        )
        for step in job.step_runs:
            bars[step.id] = axis.bar(step.created_at, step.started_at, step.finished_at, now)
    return bars


def _moments(trace: RunTrace) -> list[datetime]:
    """Every time a trace holds."""
    moments: list[datetime | None] = []
    for job in trace.jobs:
        job_run = job.job_run
        moments += [job_run.created_at, job_run.started_at, job_run.finished_at]
        for step in job.step_runs:
            moments += [step.created_at, step.started_at, step.finished_at]
    return [moment for moment in moments if moment is not None]
