"""Cron schedules: the workflow runs a schedule tick starts, one per workflow and tick (design §3).

Each cron expression of an active workflow has a timer: the next tick it is due at, in UTC,
computed by croniter in the workflow's `timezone`. `CronTicker.fire_due` runs on every engine
tick (four times a second), so it first compares the clock with the earliest timer and returns
at once, without touching the store, when nothing is due.

The store, not the timing, guarantees one run per tick: a unique key on (workflow, tick) makes
a second insert for the same tick raise `CronTickTaken` inside a savepoint. That is how two
daemons on one database, or a tick replayed after a restart or a rollback, end with one run:
the loser counts the tick as fired and its batch carries on.

The rules a user sees (docs/engine.md, "Cron"):
- After downtime only the latest missed tick fires, once; the ticks before it are skipped.
- A time of day the spring-forward jump skips fires at the first moment after the jump (what
  croniter computes: `30 2 * * *` in Europe/Paris fires at 03:00 CEST that day). A time the
  fall-back repeats fires once, at its first pass, unless the minute or hour field is a
  wildcard (`*/15 * * * *`, `@hourly`): such a schedule is an interval and keeps firing through
  the repeated hour, as cron does for its "wildcard jobs".
- A reload that changes a workflow's expressions or timezone starts each new schedule from
  that moment: it never fires for a tick before the change. An unchanged schedule carries on
  (a reload that only edits the steps loses no tick) and fires the new version. A schedule
  that is gone stops.
- At start-up (and after a rollback, `resync`) a schedule counts from the later of the
  workflow's last change and the last tick the store has a run for.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo

from croniter import CroniterBadDateError, croniter

from hatchetd.contracts.enums import StepRunStatus, TriggerKind
from hatchetd.contracts.runs import RunQuery, WorkflowRun
from hatchetd.engine.catalog import CatalogEntry
from hatchetd.engine.clock import Clock
from hatchetd.engine.planner import plan_run
from hatchetd.engine.ready_queue import ReadyQueue, ReadyStep
from hatchetd.engine.run_state import RunStates
from hatchetd.store import CronTickTaken, Store

log = logging.getLogger("hatchetd.engine.cron")

_MACROS = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}
_MINUTE = timedelta(minutes=1)
_MAX_STEPS = 1500
"""How many ticks a search may pass over (skipped repeats, DST oddities): a day of minutes."""
_LAST_FIRED_LOOKBACK = 20
"""How many recent runs of a workflow `resync` reads to find its last fired tick."""


@dataclass(frozen=True)
class CronSchedule:
    """One cron expression read in one time zone: the ticks it fires at, in UTC."""

    expression: str
    zone: tzinfo
    interval: bool
    """The minute or hour field is a wildcard: it keeps firing through a repeated hour."""

    @classmethod
    def of(cls, expression: str, timezone: str | None = None) -> CronSchedule:
        """The schedule of a validated expression (5 fields or a macro) in an IANA zone."""
        minute, hour, *_ = _MACROS.get(expression, expression).split()
        zone: tzinfo = UTC if timezone is None else ZoneInfo(timezone)
        return cls(expression, zone, minute.startswith("*") or hour.startswith("*"))

    def next_after(self, moment: datetime) -> datetime | None:
        """The first tick strictly after `moment`; None if the expression can never match
        again (`0 0 30 2 *` is valid cron, but February has no 30th)."""
        ticks = croniter(self.expression, moment.astimezone(self.zone))
        return self._search(ticks.get_next, lambda tick: tick > moment)

    def latest_at_or_before(self, moment: datetime) -> datetime | None:
        """The last tick at or before `moment`; None if there is none."""
        # croniter's get_prev is strict. Ticks fall on whole minutes, so the last one at or
        # before `moment` is the last one before the next whole minute.
        bound = moment.replace(second=0, microsecond=0) + _MINUTE
        ticks = croniter(self.expression, bound.astimezone(self.zone))
        return self._search(ticks.get_prev, lambda tick: tick <= moment)

    def _search(
        self, step: Callable[[type[datetime]], datetime], wanted: Callable[[datetime], bool]
    ) -> datetime | None:
        try:
            for _ in range(_MAX_STEPS):
                tick = step(datetime).astimezone(UTC)
                # The `wanted` check also guards against croniter answering on the wrong
                # side of the start around a DST change: keep walking instead of trusting it.
                if wanted(tick) and (self.interval or not self._repeated(tick)):
                    return tick
        except CroniterBadDateError:
            pass  # croniter found no date within its search window: the schedule is over
        return None

    def _repeated(self, tick: datetime) -> bool:
        """True for the second pass of a wall-clock time that the fall-back repeats."""
        local = tick.astimezone(self.zone)
        # `astimezone` sets fold=1 on the second pass of an ambiguous local time; croniter's
        # own fold attribute is not reliable, so it is recomputed from the UTC instant.
        return local.fold == 1 and local.replace(fold=0).utcoffset() != local.utcoffset()


@dataclass
class _Timer:
    """One cron expression of one active workflow, and when it is next due."""

    workflow: CatalogEntry
    schedule: CronSchedule
    due: datetime | None
    """The next tick to fire, in UTC; None once the schedule can never match again."""


_TimerKey = tuple[str, str, str]
"""(workflow name, timezone, expression): what a schedule is, whatever version runs it."""


class CronTicker:
    """Fires the cron schedules of the active workflows."""

    def __init__(self, store: Store, clock: Clock, runs: RunStates, ready: ReadyQueue) -> None:
        self._store = store
        self._clock = clock
        self._runs = runs
        self._ready = ready
        self._timers: dict[_TimerKey, _Timer] = {}
        self._earliest: datetime | None = None

    @property
    def next_due(self) -> datetime | None:
        """When the earliest schedule is next due (UTC); None when no schedule is active."""
        return self._earliest

    def set_active(self, workflows: Sequence[CatalogEntry]) -> None:
        """Schedule these workflows' crons (after a reload). A schedule seen before keeps its
        next tick; a new one (a new expression, timezone or workflow) starts from now, so it
        never fires for a tick before the change; one no longer given stops."""
        now = self._clock.now()
        timers: dict[_TimerKey, _Timer] = {}
        for workflow in workflows:
            for key, schedule in _schedules_of(workflow):
                kept = self._timers.get(key)
                if kept is not None:
                    timers[key] = replace(kept, workflow=workflow)
                else:
                    timers[key] = _Timer(workflow, schedule, schedule.next_after(now))
        self._install(timers)

    def resync(self, workflows: Sequence[CatalogEntry]) -> None:
        """Schedule these workflows' crons from what the store knows (at start-up or after a
        rollback): each counts from the later of the workflow's last change and its last
        fired tick, so the latest tick missed meanwhile fires once and a fired one never
        again."""
        now = self._clock.now()
        changed_at = {w.name: w.updated_at for w in self._store.list_workflows()}
        timers: dict[_TimerKey, _Timer] = {}
        for workflow in workflows:
            name = workflow.version.workflow_name
            since = self._last_fired_or_changed(name, changed_at.get(name, now))
            for key, schedule in _schedules_of(workflow):
                timers[key] = _Timer(workflow, schedule, schedule.next_after(since))
        self._install(timers)

    def fire_due(self) -> list[WorkflowRun]:
        """Start a run for every schedule whose tick has come; return the runs this engine
        created (a tick another engine already fired is skipped, not an error)."""
        now = self._clock.now()
        if self._earliest is None or now < self._earliest:
            return []  # the hot path: nothing due, no store access
        due: dict[tuple[str, datetime], CatalogEntry] = {}
        for timer in self._timers.values():
            if timer.due is None or timer.due > now:
                continue
            # Only the latest tick missed fires: after downtime, one run, not one per tick.
            latest = timer.schedule.latest_at_or_before(now)
            tick = timer.due if latest is None else max(timer.due, latest)
            # Two expressions of a workflow due at the same instant make one run.
            due.setdefault((timer.workflow.version.workflow_name, tick), timer.workflow)
            # Moved on before the insert: if the batch fails, `resync` rebuilds every timer.
            timer.due = timer.schedule.next_after(now)
        self._earliest = _earliest(self._timers.values())
        fired: list[WorkflowRun] = []
        for name, tick in sorted(due, key=lambda pair: (pair[1], pair[0])):
            run = self._start(due[name, tick], tick, now)
            if run is None:
                log.debug("%s: the tick at %s already has a run", name, tick.isoformat())
            else:
                log.info("%s: started run %s for the tick at %s", name, run.id, tick.isoformat())
                fired.append(run)
        return fired

    def _start(self, workflow: CatalogEntry, tick: datetime, now: datetime) -> WorkflowRun | None:
        new = plan_run(
            version_id=workflow.id,
            spec=workflow.spec,
            event_id=None,
            now=now,
            trigger=TriggerKind.CRON,
            cron_tick_at=tick,
        )
        try:
            # One run per insert: the store's savepoint then refuses only this tick, and a
            # taken tick of one workflow cannot keep another workflow's run out.
            self._store.create_runs([new])
        except CronTickTaken:
            return None  # another daemon, or this one before a restart, fired it: done
        self._runs.add_planned(new, workflow, None)
        for step in new.step_runs:
            if step.status is StepRunStatus.PENDING_ASSIGNMENT:
                self._ready.push(ReadyStep.of(step))
        return new.run

    def _last_fired_or_changed(self, name: str, changed_at: datetime) -> datetime:
        # A CRON run whose tick is after the change was created after it, so the recent runs
        # are enough. Missing it (many event runs since) costs only a refused insert: the
        # unique key, not this read, is what keeps a tick from firing twice.
        query = RunQuery(workflow_name=name, since=changed_at, limit=_LAST_FIRED_LOOKBACK)
        ticks = [
            run.cron_tick_at
            for run in self._store.list_workflow_runs(query).items
            if run.trigger is TriggerKind.CRON and run.cron_tick_at is not None
        ]
        return max([changed_at, *ticks])

    def _install(self, timers: dict[_TimerKey, _Timer]) -> None:
        self._timers = timers
        self._earliest = _earliest(timers.values())


def _schedules_of(workflow: CatalogEntry) -> list[tuple[_TimerKey, CronSchedule]]:
    spec = workflow.spec
    zone = spec.timezone or "UTC"
    return [
        ((spec.name, zone, expression), CronSchedule.of(expression, spec.timezone))
        for expression in dict.fromkeys(spec.triggers.crons)
    ]


def _earliest(timers: Iterable[_Timer]) -> datetime | None:
    return min((timer.due for timer in timers if timer.due is not None), default=None)
