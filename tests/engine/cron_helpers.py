"""What the cron tests share: a scheduled workflow file, a ticker loop, the cron runs stored."""

from __future__ import annotations

import json
import textwrap
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from hatchetd.contracts.enums import TriggerKind
from hatchetd.contracts.runs import RunQuery, WorkflowRun
from tests.engine.harness import Daemon, FakeWorker

TICKER = timedelta(seconds=15)
"""How often `tick_until` ticks: coarser than the runtime's quarter second, fine enough to see
that a run is created at its tick and not between."""


def at(hour: int, minute: int = 0, second: int = 0, *, day: int = 1, month: int = 5) -> datetime:
    """A moment of 2024 in UTC (the fake clock starts at 2024-05-01 12:00 UTC)."""
    return datetime(2024, month, day, hour, minute, second, tzinfo=UTC)


def cron_workflow(
    name: str = "nightly",
    crons: Sequence[str] = ("*/15 * * * *",),
    *,
    timezone: str | None = None,
    events: Sequence[str] = (),
    action: str = "echo:echo",
    with_: str = "{message: hello}",
) -> str:
    """A workflow file with cron triggers and one job of one step."""
    zone = f"timezone: {timezone}\n" if timezone else ""
    return zone + textwrap.dedent(
        f"""\
        name: {name}
        triggers:
          crons: {json.dumps(list(crons))}
          events: {json.dumps(list(events))}
        jobs:
          main:
            steps:
              - id: only
                action: {action}
                with: {with_}
        """
    )


def tick_until(
    daemon: Daemon,
    until: datetime,
    every: timedelta = TICKER,
    *,
    workers: Sequence[FakeWorker] = (),
) -> None:
    """Run the ticker loop from now to `until` (inclusive), moving the clock `every` at a time,
    as the runtime would without downtime; `workers` send a heartbeat before each tick so that
    they stay in the pool."""
    while daemon.clock.now() < until:
        daemon.clock.set(min(daemon.clock.now() + every, until))
        for worker in workers:
            worker.heartbeat()
        daemon.tick()


def cron_runs(daemon: Daemon, workflow: str | None = None) -> list[WorkflowRun]:
    """Every CRON run in the store, oldest tick first."""
    page = daemon.store.list_workflow_runs(RunQuery(workflow_name=workflow, limit=1000))
    assert page.next_cursor is None, "more runs than one page: narrow the test"
    runs = [run for run in page.items if run.trigger is TriggerKind.CRON]
    return sorted(runs, key=lambda run: (run.cron_tick_at or run.created_at, run.workflow_name))


def fired_ticks(daemon: Daemon, workflow: str | None = None) -> list[datetime]:
    """The ticks that have a run, oldest first."""
    return [run.cron_tick_at for run in cron_runs(daemon, workflow) if run.cron_tick_at]
