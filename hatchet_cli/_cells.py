"""How ids, times, durations and triggers look in a table: shared by the CLI and the TUI, so
that a run reads the same in both (and so that the TUI needs none of the CLI's modules)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from hatchetd.contracts.runs import WorkflowRun

__all__ = ["short", "took", "trigger_text", "when"]


def short(identifier: str | None) -> str:
    """The first 8 characters of an id, as tables show it; `-` for none."""
    return identifier[:8] if identifier else "-"


def when(moment: datetime | None) -> str:
    """A time as tables show it: UTC to the second; `-` for none."""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S") if moment else "-"


def trigger_text(run: WorkflowRun, *, full_ids: bool = False) -> str:
    """What started a run, as traces and the TUI show it: `event 3f2a9c1e` (the whole id with
    `full_ids`), `cron 2026-12-04 03:00:00` (its tick), or `manual` (started by hand)."""
    if run.event_id:
        return f"event {run.event_id if full_ids else short(run.event_id)}"
    if run.cron_tick_at is not None:
        return f"cron {when(run.cron_tick_at)}"
    return run.trigger.value.lower()


def took(start: datetime | None, end: datetime | None) -> str:
    """The time between two moments as tables show it (`850ms`, `2.3s`, `4m12s`); `-` if open."""
    if start is None or end is None:
        return "-"
    seconds = (end - start).total_seconds()
    if seconds < 1:
        return f"{round(seconds * 1000)}ms"
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes}m{rest:02d}s"
