"""A reload changes the schedules: a new one counts from that moment, a removed one stops, and
one that did not change carries on with the new version."""

from __future__ import annotations

from datetime import timedelta

from hatchetd.contracts.enums import TriggerKind
from tests.engine.cron_helpers import at, cron_runs, cron_workflow, fired_ticks, tick_until
from tests.engine.harness import Daemon


def test_a_changed_schedule_counts_from_the_reload(daemon: Daemon) -> None:
    daemon.load(nightly=cron_workflow(crons=["*/15 * * * *"]))
    tick_until(daemon, at(12, 20, 30))
    old_version = cron_runs(daemon)[0].workflow_version_id

    daemon.load(nightly=cron_workflow(crons=["*/10 * * * *"]))  # 12:20 is before the change
    tick_until(daemon, at(12, 50))

    assert fired_ticks(daemon) == [at(12, 15), at(12, 30), at(12, 40), at(12, 50)]
    later = {run.workflow_version_id for run in cron_runs(daemon)[1:]}
    assert len(later) == 1
    assert later != {old_version}


def test_a_changed_timezone_counts_from_the_reload(daemon: Daemon) -> None:
    daemon.clock.set(at(6, 0))
    daemon.load(daily=cron_workflow("daily", ["0 9 * * *"]))
    daemon.clock.set(at(7, 30))

    # 09:00 in Paris is 07:00 UTC in May: already gone today, so it waits for tomorrow.
    daemon.load(daily=cron_workflow("daily", ["0 9 * * *"], timezone="Europe/Paris"))
    tick_until(daemon, at(9, 30), every=timedelta(minutes=15))
    assert cron_runs(daemon) == []

    daemon.clock.set(at(7, 0, day=2))
    daemon.tick()
    assert fired_ticks(daemon) == [at(7, 0, day=2)]


def test_editing_only_the_steps_loses_no_tick(daemon: Daemon) -> None:
    daemon.load(nightly=cron_workflow(with_="{message: before}"))
    daemon.clock.set(at(12, 15))
    daemon.clock.advance(0.1)  # the tick is due, but the ticker has not run yet

    daemon.load(nightly=cron_workflow(with_="{message: after}"))
    daemon.tick()

    (run,) = cron_runs(daemon)
    assert run.cron_tick_at == at(12, 15)
    stored = daemon.store.get_workflow(run.workflow_name)
    assert stored is not None
    assert run.workflow_version_id == stored.current_version_id  # the new version runs


def test_a_removed_workflow_stops_firing(daemon: Daemon) -> None:
    daemon.load(nightly=cron_workflow())
    tick_until(daemon, at(12, 16))

    daemon.remove("nightly")
    tick_until(daemon, at(13, 30))

    assert fired_ticks(daemon) == [at(12, 15)]
    assert daemon.engine.fire_due_crons() == []


def test_a_removed_cron_stops_while_the_events_still_start_runs(daemon: Daemon) -> None:
    daemon.load(nightly=cron_workflow(events=["user:create"]))
    tick_until(daemon, at(12, 16))

    daemon.load(nightly=cron_workflow(crons=[], events=["user:create"]))
    tick_until(daemon, at(13, 30))
    event = daemon.push("user:create")

    assert fired_ticks(daemon) == [at(12, 15)]
    (run_id,) = event.run_ids
    run = daemon.trace(run_id).run
    assert (run.trigger, run.event_id) == (TriggerKind.EVENT, event.id)


def test_a_workflow_brought_back_does_not_fire_the_ticks_it_missed_while_gone(
    daemon: Daemon,
) -> None:
    text = cron_workflow()
    daemon.load(nightly=text)
    tick_until(daemon, at(12, 16))
    daemon.remove("nightly")
    daemon.clock.set(at(12, 50))

    daemon.load(nightly=text)  # the same version as before
    daemon.tick()
    assert fired_ticks(daemon) == [at(12, 15)]

    tick_until(daemon, at(13, 0))
    assert fired_ticks(daemon) == [at(12, 15), at(13, 0)]


def test_a_reload_that_changes_nothing_keeps_the_schedule(daemon: Daemon) -> None:
    daemon.load(nightly=cron_workflow(crons=["0 * * * *"]))
    daemon.clock.set(at(13, 0, 0))

    daemon.reload()  # e.g. another file changed
    daemon.tick()

    assert fired_ticks(daemon) == [at(13, 0)]
