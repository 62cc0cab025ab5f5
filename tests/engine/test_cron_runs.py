"""Cron schedules start runs at their ticks: one per tick, recorded on the run, run as any other."""

from __future__ import annotations

from datetime import timedelta

from hatchetd.contracts.enums import RunStatus, StepRunStatus, TriggerKind
from tests.engine.cron_helpers import (
    at,
    cron_runs,
    cron_workflow,
    fired_ticks,
    tick_until,
)
from tests.engine.harness import Daemon, StatementLog


def test_a_schedule_fires_at_each_tick_and_not_between(daemon: Daemon) -> None:
    daemon.load(nightly=cron_workflow(crons=["*/15 * * * *"]))  # at 12:00

    tick_until(daemon, at(12, 14, 59))
    assert cron_runs(daemon) == []  # 12:00 itself was not after the load

    tick_until(daemon, at(12, 15))
    assert fired_ticks(daemon) == [at(12, 15)]
    tick_until(daemon, at(12, 29, 45))
    assert fired_ticks(daemon) == [at(12, 15)]

    tick_until(daemon, at(12, 50))
    assert fired_ticks(daemon) == [at(12, 15), at(12, 30), at(12, 45)]
    assert [run.created_at for run in cron_runs(daemon)] == [at(12, 15), at(12, 30), at(12, 45)]


def test_every_minute_fires_once_a_minute(daemon: Daemon) -> None:
    daemon.load(nightly=cron_workflow(crons=["* * * * *"]))

    tick_until(daemon, at(12, 5, 30))

    assert fired_ticks(daemon) == [at(12, minute) for minute in range(1, 6)]


def test_the_run_records_its_tick_and_that_cron_started_it(daemon: Daemon) -> None:
    daemon.load(nightly=cron_workflow())
    tick_until(daemon, at(12, 14, 59))
    daemon.clock.set(at(12, 15, 10))  # the ticker noticed the tick ten seconds late
    daemon.tick()

    (run,) = cron_runs(daemon)
    assert run.trigger is TriggerKind.CRON
    assert run.cron_tick_at == at(12, 15)  # the tick, not the moment it was noticed
    assert run.created_at == at(12, 15, 10)
    assert run.event_id is None
    assert run.workflow_name == "nightly"
    assert run.status is RunStatus.RUNNING
    assert daemon.statuses(run.id) == {"only": StepRunStatus.PENDING_ASSIGNMENT}


def test_a_cron_run_renders_its_templates_with_an_empty_input_and_no_event(
    daemon: Daemon,
) -> None:
    daemon.load(
        nightly=cron_workflow(
            with_="{input: '{{ .input }}', event: '{{ .event }}', "
            "workflow: '{{ .workflow.name }}', run: '{{ .run.id }}'}"
        )
    )
    worker = daemon.connect(actions=["echo:echo"])

    tick_until(daemon, at(12, 15), workers=[worker])

    (run,) = cron_runs(daemon)
    (assign,) = worker.assignments()
    assert assign.workflow_run_id == run.id
    assert assign.input == {"input": {}, "event": None, "workflow": "nightly", "run": run.id}
    worker.run(assign)
    assert daemon.trace(run.id).run.status is RunStatus.SUCCEEDED


def test_a_cron_run_waits_for_a_worker_like_any_other_run(daemon: Daemon) -> None:
    daemon.load(nightly=cron_workflow())
    tick_until(daemon, at(12, 15))
    (run,) = cron_runs(daemon)

    worker = daemon.connect(actions=["echo:echo"])

    (assign,) = worker.assignments()
    assert assign.workflow_run_id == run.id
    assert assign.input == {"message": "hello"}
    assert daemon.steps(run.id)["only"].worker_id == worker.id


def test_after_downtime_only_the_latest_missed_tick_fires(daemon: Daemon) -> None:
    daemon.clock.set(at(12, 0, 30))
    daemon.load(nightly=cron_workflow(crons=["* * * * *"]))

    daemon.clock.set(at(12, 10, 30))  # ten minutes without a tick: the process was paused
    daemon.tick()
    daemon.tick()

    assert fired_ticks(daemon) == [at(12, 10)]
    tick_until(daemon, at(12, 11))
    assert fired_ticks(daemon) == [at(12, 10), at(12, 11)]


def test_two_expressions_each_tick_on_their_own_and_share_a_run_when_they_coincide(
    daemon: Daemon,
) -> None:
    daemon.load(nightly=cron_workflow(crons=["*/15 * * * *", "*/10 * * * *"]))

    tick_until(daemon, at(12, 31))

    assert fired_ticks(daemon) == [at(12, 10), at(12, 15), at(12, 20), at(12, 30)]


def test_each_workflow_fires_its_own_schedule(daemon: Daemon) -> None:
    daemon.load(
        nightly=cron_workflow("nightly", ["*/15 * * * *"]),
        hourly=cron_workflow("hourly", ["@hourly"]),
    )

    tick_until(daemon, at(13, 0))

    assert fired_ticks(daemon, "nightly") == [at(12, 15), at(12, 30), at(12, 45), at(13, 0)]
    assert fired_ticks(daemon, "hourly") == [at(13, 0)]


def test_nine_in_paris_fires_at_eight_utc_in_winter_and_seven_in_summer(daemon: Daemon) -> None:
    daemon.clock.set(at(7, 58, day=10, month=1))
    daemon.load(paris=cron_workflow("paris", ["0 9 * * *"], timezone="Europe/Paris"))
    tick_until(daemon, at(8, 1, day=10, month=1))
    assert fired_ticks(daemon) == [at(8, 0, day=10, month=1)]

    daemon.clock.set(at(6, 58, day=10, month=7))
    daemon.tick()  # the January schedule's next tick is long past: it fires the latest, today's
    daemon.clock.set(at(6, 58, day=11, month=7))
    daemon.tick()
    tick_until(daemon, at(7, 1, day=11, month=7))
    assert fired_ticks(daemon)[-2:] == [at(7, 0, day=10, month=7), at(7, 0, day=11, month=7)]


def test_a_daily_job_at_a_time_the_fall_back_repeats_fires_once(daemon: Daemon) -> None:
    daemon.clock.set(at(22, 0, day=26, month=10))  # midnight in Paris, the night of the change
    daemon.load(paris=cron_workflow("paris", ["30 2 * * *"], timezone="Europe/Paris"))

    tick_until(daemon, at(4, 0, day=27, month=10), every=timedelta(seconds=60))

    assert fired_ticks(daemon) == [at(0, 30, day=27, month=10)]  # 02:30 CEST, not 02:30 CET


def test_a_daily_job_at_a_time_the_spring_forward_skips_fires_after_the_jump(
    daemon: Daemon,
) -> None:
    daemon.clock.set(at(23, 0, day=30, month=3))  # midnight in Paris, the night of the change
    daemon.load(paris=cron_workflow("paris", ["30 2 * * *"], timezone="Europe/Paris"))

    tick_until(daemon, at(4, 0, day=31, month=3), every=timedelta(seconds=60))

    assert fired_ticks(daemon) == [at(1, 0, day=31, month=3)]  # 03:00 CEST, what croniter gives


def test_a_schedule_that_can_never_match_is_refused_and_the_good_version_keeps_firing(
    daemon: Daemon,
) -> None:
    daemon.load(nightly=cron_workflow())
    # `0 0 30 2 *` is valid cron but February has no 30th: the edit is an error, not a silence.
    (daemon.folder / "nightly.yaml").write_text(cron_workflow(crons=["0 0 30 2 *"]))
    outcome = daemon.registry.reload()
    assert [error for f in outcome.files for error in f.errors] == [
        "nightly.yaml:3:11: triggers.crons[0]: invalid cron '0 0 30 2 *': never fires "
        "(no month has that day, like 30 February)"
    ]
    assert outcome.kept == ("nightly",)

    tick_until(daemon, at(12, 15))

    assert [run.cron_tick_at for run in cron_runs(daemon)] == [at(12, 15)]


def test_checking_for_due_ticks_reads_nothing_until_one_is_due(daemon: Daemon) -> None:
    daemon.load(nightly=cron_workflow())
    log = StatementLog()

    with log.recording():
        for _ in range(40):
            daemon.clock.advance(0.25)
            with daemon.store.batch():
                assert daemon.engine.fire_due_crons() == []
    assert log.statements == []

    daemon.clock.set(at(12, 15))
    with log.recording(), daemon.store.batch():
        (run,) = daemon.engine.fire_due_crons()
    assert run.cron_tick_at == at(12, 15)
    assert log.tables("INSERT") == ["workflow_runs", "job_runs", "step_runs"]


def test_the_cron_compat_workflows_fire_as_their_readme_says(daemon: Daemon) -> None:
    # cron--cron-workflow.yaml: `triggers.crons: ["* * * * *"]`; on-cron.yaml: the
    # `on: cron: schedule: "*/15 * * * *"` form.
    daemon.load_compat("upstream/cron--cron-workflow.yaml", "seed/on-cron.yaml")
    worker = daemon.connect(actions=["print:print", "slack:create-channel"], slots=100)

    tick_until(daemon, at(12, 15), workers=[worker])

    assert fired_ticks(daemon, "cron-workflow") == [at(12, minute) for minute in range(1, 16)]
    assert fired_ticks(daemon, "on-cron") == [at(12, 15)]
    assignments = worker.assignments()
    assert sorted(a.action for a in assignments) == ["print:print"] * 15 + ["slack:create-channel"]
    (slack,) = [a for a in assignments if a.action == "slack:create-channel"]
    assert slack.input == {"key": "val"}
