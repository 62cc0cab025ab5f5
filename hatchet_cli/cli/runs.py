"""`hatchet runs`: list workflow runs, show a run's trace, cancel a run, read its logs."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated, Any

import typer

from hatchet_cli.cli.connection import (
    connect,
    daemon_errors,
    parse_time,
    short,
    to_json,
    took,
    when,
)
from hatchet_cli.cli.output import OutputFormat, data, diagnostic, emit, print_table, style

if TYPE_CHECKING:
    from hatchetd.contracts.runs import RunTrace, WorkflowRun

app = typer.Typer(
    name="runs",
    help="Workflow runs: list them, trace one, cancel it, read its logs.",
    no_args_is_help=True,
    rich_markup_mode="rich",
)

Output = Annotated[
    OutputFormat,
    typer.Option(
        "--output",
        "-o",
        help="[bold]table[/bold] for people; [bold]json[/bold] or [bold]yaml[/bold] (the shapes "
        "of docs/cli.md); [bold]id[/bold]: ids one per line.",
    ),
]
RunId = Annotated[str, typer.Argument(metavar="ID", help="The workflow run's id.")]

_STATUS_COLOURS = {
    "SUCCEEDED": "green",
    "FAILED": "red",
    "CANCELLED": "yellow",
    "RUNNING": "cyan",
    "ASSIGNED": "cyan",
}


@app.command("list")
def list_runs(
    ctx: typer.Context,
    *,
    workflow: Annotated[
        str | None,
        typer.Option("--workflow", "-w", help="Only runs of this workflow.", show_default=False),
    ] = None,
    status: Annotated[
        list[str] | None,
        typer.Option(
            "--status",
            "-s",
            help="Only runs in this state (PENDING, RUNNING, SUCCEEDED, FAILED, CANCELLED); "
            "repeat for several.",
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
    limit: Annotated[
        int, typer.Option("--limit", "-n", min=1, max=1000, help="At most this many runs.")
    ] = 50,
    output: Output = OutputFormat.table,
) -> None:
    """List workflow runs, newest first."""
    start = parse_time(since, "--since")
    statuses = [value.upper() for value in status or []]
    with daemon_errors(), connect(ctx) as client:
        page = client.runs.list(
            workflow=workflow, statuses=statuses, event_id=event, since=start, limit=limit
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
    output: Output = OutputFormat.table,
) -> None:
    """Show a run's trace: its job runs and step runs with status, attempt, worker and duration."""
    with daemon_errors(), connect(ctx) as client:
        trace = client.runs.get(run_id)
    emit(output, to_json(trace), _trace_ids(trace), lambda: _print_trace(trace, verbose=verbose))


@app.command()
def cancel(ctx: typer.Context, run_id: RunId, output: Output = OutputFormat.table) -> None:
    """Cancel what is not final in a run; prints the trace afterwards."""
    with daemon_errors(), connect(ctx) as client:
        trace = client.runs.cancel(run_id)
    emit(output, to_json(trace), _trace_ids(trace), lambda: _print_trace(trace, verbose=False))
    if output is OutputFormat.table:
        diagnostic(f"run {trace.run.id} is {trace.run.status.value}")


@app.command()
def logs(ctx: typer.Context, run_id: RunId, output: Output = OutputFormat.table) -> None:
    """Print every line the run's steps logged, oldest first."""
    with daemon_errors(), connect(ctx) as client:
        trace = client.runs.get(run_id)
        lines = client.runs.logs(run_id)
    step_ids = {step.id: step.step_id for job in trace.jobs for step in job.step_runs}

    def text() -> None:
        for log in lines:
            step = style(step_ids.get(log.step_run_id, short(log.step_run_id)), fg="cyan")
            data(f"{style(when(log.at), dim=True)}  {step}  {log.line}")

    emit(output, to_json(lines), [log.step_run_id for log in lines], text)
    if output is OutputFormat.table and not lines:
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


def _status(value: str) -> str:
    return style(value, fg=_STATUS_COLOURS.get(value), bold=value == "FAILED")


def _print_trace(trace: RunTrace, *, verbose: bool) -> None:
    run = trace.run
    trigger = f"event {run.event_id}" if run.event_id else f"cron {when(run.cron_tick_at)}"
    data(
        f"{style('run', bold=True)} {run.id}  {style(run.workflow_name, bold=True)}  "
        f"{_status(run.status.value)}  {trigger}  took {took(run.started_at, run.finished_at)}"
    )
    if run.error:
        data(f"  error: {run.error}")
    for j, job in enumerate(trace.jobs):
        last_job = j == len(trace.jobs) - 1
        job_run = job.job_run
        data(
            f"{'└─' if last_job else '├─'} job {style(job_run.job_name, bold=True)}  "
            f"{_status(job_run.status.value)}  took {took(job_run.started_at, job_run.finished_at)}"
        )
        bar = "   " if last_job else "│  "
        for s, step in enumerate(job.step_runs):
            last_step = s == len(job.step_runs) - 1
            reason = f" ({step.cancel_reason.value})" if step.cancel_reason else ""
            data(
                f"{bar}{'└─' if last_step else '├─'} step {style(step.step_id, bold=True)}  "
                f"{_status(step.status.value)}{reason}  attempt {step.attempt}  "
                f"worker {short(step.worker_id)}  took {took(step.started_at, step.finished_at)}"
            )
            if verbose:
                inner = bar + ("   " if last_step else "│  ")
                _print_value(inner, "input", step.input)
                _print_value(inner, "output", step.output)
                if step.error:
                    _print_value(inner, "error", step.error)


def _print_value(indent: str, label: str, value: Any) -> None:
    text = value if isinstance(value, str) else json.dumps(value, indent=2, ensure_ascii=False)
    lines = text.splitlines() or [""]
    data(f"{indent}{style(label + ':', dim=True)} {lines[0]}")
    for line in lines[1:]:
        data(f"{indent}  {line}")
