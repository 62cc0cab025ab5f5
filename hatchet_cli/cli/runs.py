"""`hatchet runs`: list workflow runs, show (or watch) a run's trace, cancel a run, read or follow
its logs. The trace's drawing lives in `runs_trace.py`, following a run in `runs_watch.py`."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated

import typer

from hatchet_cli._cells import short, took, when
from hatchet_cli.cli.connection import connect, daemon_errors, parse_time, to_json
from hatchet_cli.cli.output import (
    Output,
    OutputFormat,
    data,
    diagnostic,
    emit,
    print_table,
    print_yaml,
    style,
)
from hatchet_cli.cli.runs_trace import print_trace
from hatchet_cli.cli.runs_watch import (
    final_trace,
    interrupt_exits_130,
    trace_changes,
    watch_trace,
)
from hatchetd.contracts.enums import RunStatus

if TYPE_CHECKING:
    from hatchetd.contracts.runs import RunTrace, StepLog, WorkflowRun

app = typer.Typer(
    name="runs",
    help="Workflow runs: list them, trace one, cancel it, read its logs, rerun it.",
    no_args_is_help=True,
    rich_markup_mode=None,
)

RunId = Annotated[
    str, typer.Argument(metavar="ID", help="The workflow run's id, or a unique prefix of it.")
]


@app.command("list")
def list_runs(
    ctx: typer.Context,
    *,
    workflow: Annotated[
        str | None,
        typer.Option("--workflow", "-w", help="Only runs of this workflow.", show_default=False),
    ] = None,
    status: Annotated[
        list[RunStatus] | None,
        typer.Option(
            "--status",
            "-s",
            help="Only runs in this state (any case); repeat for several.",
            case_sensitive=False,
            show_default=False,
        ),
    ] = None,
    event: Annotated[
        str | None,
        typer.Option("--event", "-e", help="Only runs this event triggered.", show_default=False),
    ] = None,
    since: Annotated[
        str | None,
        typer.Option(
            "--since",
            help="Created at or after: RFC 3339 (2026-05-01T12:00:00Z) or a duration ago (1h).",
            show_default=False,
        ),
    ] = None,
    until: Annotated[
        str | None,
        typer.Option(
            "--until",
            help="Created before: RFC 3339 (2026-05-01T13:00:00Z) or a duration ago (30m).",
            show_default=False,
        ),
    ] = None,
    limit: Annotated[
        int, typer.Option("--limit", "-n", min=1, max=1000, help="At most this many runs.")
    ] = 50,
    output: Output = OutputFormat.table,
) -> None:
    """List workflow runs, newest first.

    The filters combine: a run is listed when it matches every one given.

    Examples:

    \b
      hatchet runs list --status failed --since 1h
      hatchet runs list --workflow post-user-sign-up --since 2h --until 1h
      hatchet runs list --event 9a1f -o id
    """
    start = parse_time(since, "--since")
    end = parse_time(until, "--until")
    statuses = [value.value for value in status or []]
    with daemon_errors(), connect(ctx) as client:
        page = client.runs.list(
            workflow=workflow,
            statuses=statuses,
            event_id=event,
            since=start,
            until=end,
            limit=limit,
        )
    emit(output, to_json(page), [run.id for run in page.items], lambda: runs_table(page.items))
    if output is OutputFormat.table and not page.items:
        diagnostic("no runs")


@app.command()
def show(
    ctx: typer.Context,
    run_id: RunId,
    verbose: Annotated[
        bool,
        typer.Option("--verbose", "-v", help="Add each step's input, output and error."),
    ] = False,
    watch: Annotated[
        bool,
        typer.Option(
            "--watch",
            "-w",
            help="Follow the run until it is final, then exit 0 if it SUCCEEDED, 1 if it FAILED "
            "or was CANCELLED. A terminal redraws the trace in place; other output gets it anew "
            "each time it changes; -o json waits and prints the final trace only.",
        ),
    ] = False,
    output: Output = OutputFormat.table,
) -> None:
    """Show a run's trace: its job runs and step runs with status, attempt, worker, duration and
    a waterfall bar on the run's time axis (░ waiting for a worker, █ running).

    With --watch, the exit code tells how the run ended:
    0 SUCCEEDED, 1 FAILED or CANCELLED (130 on Ctrl-C, 5 if the daemon goes away).

    Examples:

    \b
      hatchet runs show 3f2a
      hatchet runs show 3f2a --verbose
      hatchet runs show 3f2a --watch
      hatchet runs show 3f2a --watch -o json > final.json
    """
    if not watch:
        with daemon_errors(), connect(ctx) as client:
            trace = client.runs.get(run_id)
        emit(output, to_json(trace), _trace_ids(trace), lambda: print_trace(trace, verbose=verbose))
        return
    with interrupt_exits_130(), daemon_errors(), connect(ctx) as client:
        changes = trace_changes(client, run_id)
        if output is OutputFormat.table:
            trace = watch_trace(changes, verbose=verbose)
        else:
            trace = final_trace(changes)  # scripts get one document: the final trace
    if output is not OutputFormat.table:
        emit(output, to_json(trace), _trace_ids(trace), lambda: None)
    raise typer.Exit(0 if trace.run.status.value == "SUCCEEDED" else 1)


@app.command()
def cancel(ctx: typer.Context, run_id: RunId, output: Output = OutputFormat.table) -> None:
    """Cancel what is not final in a run (USER_CANCELLED); prints the trace afterwards.

    Workers running one of its steps are told to stop.

    Examples:

    \b
      hatchet runs cancel 3f2a
      hatchet runs list --status running -o id | xargs -n1 hatchet runs cancel -o id
    """
    with daemon_errors(), connect(ctx) as client:
        trace = client.runs.cancel(run_id)
    emit(output, to_json(trace), _trace_ids(trace), lambda: print_trace(trace, verbose=False))
    if output is OutputFormat.table:
        diagnostic(f"run {trace.run.id} is {trace.run.status.value}")


@app.command()
def logs(
    ctx: typer.Context,
    run_id: RunId,
    follow: Annotated[
        bool,
        typer.Option(
            "--follow",
            "-f",
            help="Keep printing lines as the steps log them, until the run is final (then exit "
            "0). With -o json, one JSON object per line (JSON Lines) instead of an "
            "array; with -o yaml, one YAML document per line.",
        ),
    ] = False,
    output: Output = OutputFormat.table,
) -> None:
    """Print every line the run's steps logged, step by step.

    Each line comes with its time and the step that logged it.

    Examples:

    \b
      hatchet runs logs 3f2a
      hatchet runs logs 3f2a --follow
      hatchet runs logs 3f2a -f -o json | jq -r .line
    """
    if follow:
        _follow_logs(ctx, run_id, output)
        return
    with daemon_errors(), connect(ctx) as client:
        trace = client.runs.get(run_id)
        lines = client.runs.logs(run_id)
    names = _step_names(trace)

    def text() -> None:
        for log in lines:
            data(_log_text(log, names))

    emit(output, to_json(lines), [log.step_run_id for log in lines], text)
    if output is OutputFormat.table and not lines:
        diagnostic("no log lines")


def _follow_logs(ctx: typer.Context, run_id: str, output: OutputFormat) -> None:
    """`logs --follow`: each line once, as it arrives, in the `-o` format's streaming form."""
    count = 0
    names: dict[str, str] = {}
    with interrupt_exits_130(), daemon_errors(), connect(ctx) as client:
        for log in client.runs.follow_logs(run_id):
            if output is OutputFormat.json:
                typer.echo(json.dumps(to_json(log), ensure_ascii=False), color=False)
            elif output is OutputFormat.yaml:
                data("---")
                print_yaml(to_json(log))
            elif output is OutputFormat.id:
                data(log.step_run_id)
            else:
                if log.step_run_id not in names:  # the first line of a step run: name them all
                    names = _step_names(client.runs.get(run_id))
                    names.setdefault(log.step_run_id, short(log.step_run_id))
                data(_log_text(log, names))
            count += 1
    if output is OutputFormat.table and not count:
        diagnostic("no log lines")


def runs_table(runs: list[WorkflowRun]) -> None:
    """Print workflow runs as a table, one row each."""
    print_table(
        ["ID", "WORKFLOW", "STATUS", "TRIGGER", "CREATED", "TOOK"],
        [
            [
                run.id,
                run.workflow_name,
                run.status.value,
                f"event {short(run.event_id)}" if run.event_id else run.trigger.value.lower(),
                when(run.created_at),
                took(run.started_at, run.finished_at),
            ]
            for run in runs
        ],
    )


def _trace_ids(trace: RunTrace) -> list[str]:
    """`-o id` of a trace: the run, then each job run followed by its step runs."""
    ids = [trace.run.id]
    for job in trace.jobs:
        ids.append(job.job_run.id)
        ids.extend(step.id for step in job.step_runs)
    return ids


def _step_names(trace: RunTrace) -> dict[str, str]:
    """The step id of each step run of a trace, by step run id."""
    return {step.id: step.step_id for job in trace.jobs for step in job.step_runs}


def _log_text(log: StepLog, names: dict[str, str]) -> str:
    step = style(names.get(log.step_run_id, short(log.step_run_id)), fg="cyan")
    return f"{style(when(log.at), dim=True)}  {step}  {log.line}"
