"""One run per tick across restarts, rollbacks and two daemons on one database: the store's
unique key on (workflow, tick) decides, and the engine that loses takes it as already fired."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from hatchetd.engine import FakeClock, Push
from hatchetd.store import Store, open_store
from tests.engine.cron_helpers import at, cron_runs, cron_workflow, fired_ticks, tick_until
from tests.engine.harness import Daemon


@pytest.fixture
def second_store(tmp_path: Path) -> Iterator[Store]:
    """Another connection pool on the fixture store's database: a second daemon's store."""
    the_store = open_store(f"sqlite:///{tmp_path / '.hatchetd' / 'hatchet.db'}")
    yield the_store
    the_store.close()


@pytest.fixture
def other(daemon: Daemon, second_store: Store) -> Daemon:
    """A second daemon on the same database, folder and clock, with the same workflows."""
    return Daemon(second_store, daemon.clock, daemon.folder, daemon.environ)


# -- restarts ---------------------------------------------------------------------------------


def test_a_restart_does_not_fire_a_tick_again_and_fires_the_next(daemon: Daemon) -> None:
    daemon.load(nightly=cron_workflow())
    tick_until(daemon, at(12, 15, 5))

    restarted = daemon.restart()
    restarted.tick()
    assert fired_ticks(restarted) == [at(12, 15)]

    tick_until(restarted, at(12, 30))
    assert fired_ticks(restarted) == [at(12, 15), at(12, 30)]


def test_a_restart_after_downtime_fires_the_latest_missed_tick_once(daemon: Daemon) -> None:
    daemon.load(nightly=cron_workflow())
    tick_until(daemon, at(12, 15))
    daemon.clock.set(at(13, 7, 30))  # down from 12:15 to 13:07

    restarted = daemon.restart()
    restarted.tick()
    restarted.tick()

    assert fired_ticks(restarted) == [at(12, 15), at(13, 0)]


def test_a_workflow_that_never_fired_fires_its_latest_missed_tick_after_a_restart(
    daemon: Daemon,
) -> None:
    daemon.clock.set(at(12, 5))
    daemon.load(nightly=cron_workflow())
    daemon.clock.set(at(12, 40))  # down since 12:05: 12:15 and 12:30 were missed

    restarted = daemon.restart()
    tick_until(restarted, at(12, 44))

    assert fired_ticks(restarted) == [at(12, 30)]


def test_a_restart_never_fires_a_tick_from_before_the_schedule_changed(daemon: Daemon) -> None:
    daemon.load(nightly=cron_workflow(crons=["0 * * * *"]))
    tick_until(daemon, at(13, 0), every=timedelta(minutes=1))
    daemon.clock.set(at(13, 45))
    daemon.load(nightly=cron_workflow(crons=["30 13 * * *"]))  # 13:30 is already gone

    daemon.clock.set(at(14, 0))
    restarted = daemon.restart()
    restarted.tick()

    assert fired_ticks(restarted) == [at(13, 0)]


def test_a_fired_tick_hidden_behind_many_event_runs_still_fires_once_after_a_restart(
    daemon: Daemon, caplog: pytest.LogCaptureFixture
) -> None:
    # The restart reads only a workflow's recent runs for its last tick; past them, the
    # store's unique key refuses the second run and the engine counts the tick as fired.
    daemon.load(nightly=cron_workflow(events=["user:create"]))
    tick_until(daemon, at(12, 15))
    daemon.clock.advance(1)
    daemon.call(lambda e: e.push_events([Push("user:create")] * 30))

    restarted = daemon.restart()
    with caplog.at_level(logging.DEBUG, "hatchetd.engine.cron"):
        fired = restarted.call(lambda e: e.fire_due_crons())

    assert fired == []
    assert "nightly: the tick at 2024-05-01T12:15:00+00:00 already has a run" in caplog.text
    assert fired_ticks(restarted) == [at(12, 15)]


def test_a_tick_whose_batch_rolled_back_fires_again_after_the_resync(daemon: Daemon) -> None:
    daemon.load(nightly=cron_workflow())
    daemon.clock.set(at(12, 15))

    def fire_then_break() -> None:
        with daemon.store.batch():
            assert len(daemon.engine.fire_due_crons()) == 1
            raise RuntimeError("the batch broke after the cron fired")

    with pytest.raises(RuntimeError, match="the batch broke"):
        fire_then_break()
    assert cron_runs(daemon) == []
    daemon.call(lambda e: e.resync())  # what the runtime does after a failed batch
    daemon.tick()

    assert fired_ticks(daemon) == [at(12, 15)]


# -- two ticker loops on one database -----------------------------------------------------------


def test_two_daemons_firing_the_same_tick_make_one_run(daemon: Daemon, other: Daemon) -> None:
    daemon.load(nightly=cron_workflow())
    other.reload()
    daemon.clock.set(at(12, 15))

    first = daemon.call(lambda e: e.fire_due_crons())
    second = other.call(lambda e: e.fire_due_crons())  # the loser: no error, no run

    assert len(first) == 1
    assert second == []
    assert fired_ticks(daemon) == [at(12, 15)]

    daemon.clock.set(at(12, 30))
    won = other.call(lambda e: e.fire_due_crons())  # the other one is first this time
    lost = daemon.call(lambda e: e.fire_due_crons())
    assert (len(won), lost) == (1, [])
    assert fired_ticks(daemon) == [at(12, 15), at(12, 30)]


def test_the_losing_tick_leaves_its_batch_usable(daemon: Daemon, other: Daemon) -> None:
    daemon.load(nightly=cron_workflow(events=["user:create"]))
    other.reload()
    daemon.clock.set(at(12, 15))
    daemon.tick()

    with other.store.batch():
        assert other.engine.fire_due_crons() == []  # refused inside the batch's savepoint
        (pushed,) = other.engine.push_events([Push("user:create", {"name": "Ada"})])

    stored = daemon.store.get_event(pushed.event.id)
    assert stored is not None
    assert len(stored.run_ids) == 1
    assert daemon.store.get_workflow_run(stored.run_ids[0]) is not None
    assert fired_ticks(daemon) == [at(12, 15)]


def test_a_tick_replayed_by_a_fresh_engine_is_not_an_error(daemon: Daemon) -> None:
    daemon.load(nightly=cron_workflow())
    tick_until(daemon, at(12, 15))
    # An engine that has not resynced counts from its own load: 12:15 is due for it too.
    fresh = Daemon(daemon.store, FakeClock(at(12, 0)), daemon.folder, daemon.environ)
    fresh.reload()
    fresh.clock.set(at(12, 15, 1))

    fresh.tick()

    assert fired_ticks(daemon) == [at(12, 15)]
