"""`R` and `F` in the trace view: rerun the shown run, whole or from its failed steps, after a
confirmation; the new run's trace is shown once the daemon has started it (`ShowRun`).

What the daemon would refuse (a run not ended, `F` on a run in which nothing failed) is said
at once, without asking.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from hatchet_cli._cells import short
from hatchet_cli.client import DaemonUnreachable, HatchetError
from hatchet_cli.tui.confirm import ConfirmScreen
from hatchet_cli.tui.messages import ShowRun

if TYPE_CHECKING:
    from hatchet_cli.tui.view import View
    from hatchetd.contracts.runs import RunTrace


def ask_rerun(view: View, trace: RunTrace | None, *, from_failed: bool) -> None:
    """Ask whether to rerun `trace`'s run, then start the rerun on a thread."""
    if trace is None:
        view.notify("No run is shown.", severity="warning")
        return
    run = trace.run
    if not run.status.is_final:
        view.notify(
            f"Run {short(run.id)} is {run.status.value}: only a run that has ended can be rerun."
        )
        return
    if from_failed and not _has_failed_step(trace):
        view.notify(
            f"Run {short(run.id)} has no failed step: rerun it whole with R.", severity="warning"
        )
        return
    how = "from its failed steps" if from_failed else "whole"

    def answered(yes: bool | None) -> None:
        if yes:
            view.run_worker(
                lambda: _rerun(view, run.id, from_failed), thread=True, group="trace-rerun"
            )

    view.app.push_screen(
        ConfirmScreen(f"Rerun run {short(run.id)} ({run.workflow_name}) {how}?"), answered
    )


def _has_failed_step(trace: RunTrace) -> bool:
    """Whether a step's latest attempt did not succeed (what `from_failed` starts at)."""
    latest = {}
    for job in trace.jobs:
        for step in job.step_runs:  # in step order, then attempt order: the last attempt wins
            latest[(job.job_run.id, step.step_index)] = step.status.value
    return any(status != "SUCCEEDED" for status in latest.values())


def _rerun(view: View, run_id: str, from_failed: bool) -> None:
    """On a worker thread: ask the daemon, then show the new run."""
    try:
        new = view.link.call(lambda c: c.runs.rerun(run_id, from_failed=from_failed))
    except (DaemonUnreachable, HatchetError) as exc:
        view.app.call_from_thread(
            view.notify, f"Could not rerun run {short(run_id)}: {exc}", severity="error"
        )
        return
    view.app.call_from_thread(view.notify, f"Started run {new.id}, a rerun of {short(run_id)}.")
    view.post_message(ShowRun(new.id))
