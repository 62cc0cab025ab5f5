"""`hatchet events push --wait` and `hatchet workflows run --wait`: wait until the runs an
event triggered (or the run started by hand) are final, then say how they ended.

The client's `runs.wait_all` does the waiting: the daemon holds each request until its run is
final, following its change stream; nothing is polled.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated

import typer

from hatchet_cli.cli.connection import to_json
from hatchet_cli.cli.output import ExitCode, OutputFormat, data, diagnostic, emit, fail
from hatchet_cli.cli.runs import runs_table

WAIT_TIMEOUT = 300.0
"""Seconds `--wait` waits unless `--timeout` says otherwise."""

if TYPE_CHECKING:
    from hatchet_cli.client import Client
    from hatchetd.contracts.api import PushedEvent
    from hatchetd.contracts.events import Event
    from hatchetd.contracts.runs import WorkflowRun

RunWait = Annotated[
    bool, typer.Option("--wait", help="Wait for the run to end; exit 1 if it did not succeed.")
]
"""`--wait` of the commands that start one run (`workflows run`, `runs rerun`)."""

WaitTimeout = Annotated[
    float | None,
    typer.Option(
        "--timeout",
        min=0,
        metavar="SECONDS",
        help=f"With --wait: give up (exit 1) after this long (default {WAIT_TIMEOUT:g}).",
        show_default=False,
    ),
]
"""`--timeout` beside `--wait`."""


def check_wait_options(wait: bool, timeout: float | None) -> None:
    """`--timeout` alone is a usage error: there is nothing to give up on."""
    if timeout is not None and not wait:
        fail("--timeout goes with --wait", ExitCode.USAGE)


def wait_and_report(
    client: Client,
    event: PushedEvent,
    timeout: float,
    output: OutputFormat,
    event_table: Callable[[], None],
    *,
    key_given: bool,
) -> None:
    """The output of `push --wait`: the event at once (the table, or its id), then the runs as
    they ended (the table, or with the event as one json/yaml document), then the verdict; a
    run that did not succeed, or the timeout, exits 1."""
    if output in (OutputFormat.table, OutputFormat.id):
        emit(output, None, [event.id], event_table)
    if output is OutputFormat.table:
        diagnostic(pushed(event, key_given=key_given))
    if not event.run_ids:
        diagnostic("nothing to wait for: the event triggered no runs")
    runs, finished = wait_for_runs(client, event, timeout)
    if output is OutputFormat.table and runs:
        data()
        runs_table(runs)
    elif output in (OutputFormat.json, OutputFormat.yaml):
        from hatchetd.contracts.api import EventDetail  # the shape of `events show -o json`

        emit(output, to_json(EventDetail(event=event, runs=runs)), [], lambda: None)
    problem = verdict(runs, finished, timeout)
    if problem is not None:
        fail(problem, ExitCode.ERROR)
    if output is OutputFormat.table and runs:
        diagnostic(f"{_runs(len(runs))} succeeded")


def run_and_report(client: Client, run: WorkflowRun, timeout: float, output: OutputFormat) -> None:
    """The output of `workflows run --wait`: the run's id at once (`-o id`), then the run as it
    ended (the table, or its trace as a json/yaml document), then the verdict; a run that did
    not succeed, or the timeout, exits 1."""
    from hatchet_cli.client import RunWaitTimeout

    if output is OutputFormat.id:
        emit(output, None, [run.id], lambda: None)
    elif output is OutputFormat.table:
        diagnostic(f"started run {run.id} of {run.workflow_name}; waiting for it to end")
    try:
        trace, finished = client.runs.wait(run.id, timeout=timeout), True
    except RunWaitTimeout as late:
        (trace,), finished = late.traces, False
    if output is OutputFormat.table:
        runs_table([trace.run])
    elif output in (OutputFormat.json, OutputFormat.yaml):
        emit(output, to_json(trace), [], lambda: None)
    problem = verdict([trace.run], finished, timeout)
    if problem is not None:
        fail(problem, ExitCode.ERROR)
    if output is OutputFormat.table:
        diagnostic("1 run succeeded")


def pushed(event: PushedEvent, *, key_given: bool) -> str:
    """The tally `push` writes on stderr under its table: what it stored and started, or, when
    the idempotency key the user gave (`key_given`) was pushed before, that it returned that
    event; for a push that started nothing, the keys it may have meant."""
    if event.existing and key_given:
        # Without a key of the user's, `existing` only means the client sent its push again
        # (a retry) after the first attempt was stored: that is this push's event.
        return (
            f"idempotency key {event.idempotency_key} was pushed before: returned the existing "
            f"event {event.id} ({_runs(len(event.run_ids))}); nothing new was stored or started"
        )
    text = f"pushed {event.key}, triggered {_runs(len(event.run_ids))}"
    if event.run_ids:
        return text
    text += f": no active workflow listens to {event.key!r}"
    if not event.similar_keys:
        return text
    guesses = " or ".join(f"{s.key!r} ({', '.join(s.workflows)})" for s in event.similar_keys)
    return f"{text}; did you mean {guesses}?"


def wait_for_runs(client: Client, event: Event, timeout: float) -> tuple[list[WorkflowRun], bool]:
    """The runs `event` triggered in the order it lists them, and True, once all are final; as
    they are when `timeout` seconds have passed, and False, if some are still going then."""
    from hatchet_cli.client import RunWaitTimeout

    try:
        traces = client.runs.wait_all(event.run_ids, timeout=timeout)
    except RunWaitTimeout as late:
        return late.runs, False
    return [trace.run for trace in traces], True


def verdict(runs: list[WorkflowRun], finished: bool, timeout: float) -> str | None:
    """Why `push --wait` exits 1, in one line; None when every run succeeded."""
    from hatchetd.contracts.enums import RunStatus

    if not finished:
        going = [run for run in runs if not run.status.is_final]
        return (
            f"{len(going)} of {_runs(len(runs))} not finished after {timeout:g}s: "
            f"{_listed(going)}; wait longer with --timeout, or check that a worker serves "
            "their actions (hatchet workers list)"
        )
    failed = [run for run in runs if run.status is not RunStatus.SUCCEEDED]
    if not failed:
        return None
    return f"{len(failed)} of {_runs(len(runs))} did not succeed: {_listed(failed)}"


def _runs(count: int) -> str:
    return f"{count} run{'' if count == 1 else 's'}"


def _listed(runs: list[WorkflowRun]) -> str:
    return ", ".join(f"{run.id} {run.workflow_name} {run.status.value}" for run in runs)
