"""`hatchet events`: push events, list and show them, replay them."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated

import typer

from hatchet_cli.cli.connection import (
    connect,
    daemon_errors,
    parse_time,
    read_data,
    to_json,
    when,
)
from hatchet_cli.cli.output import (
    ExitCode,
    OutputFormat,
    data,
    diagnostic,
    emit,
    fail,
    print_table,
    style,
)
from hatchet_cli.cli.runs import runs_table

if TYPE_CHECKING:
    from hatchetd.contracts.events import Event

app = typer.Typer(
    name="events",
    help="Events: push them, browse the history, replay them.",
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
Data = Annotated[
    str | None,
    typer.Option(
        "--data",
        "-d",
        help="The payload, a JSON object: literal JSON, [bold]@file[/bold], or [bold]-[/bold] "
        "for stdin.",
        show_default=False,
    ),
]
Since = Annotated[
    str | None,
    typer.Option(
        "--since",
        help="Created at or after: RFC 3339 (2026-05-01T12:00:00Z) or a duration ago (1h).",
        show_default=False,
    ),
]
Until = Annotated[
    str | None,
    typer.Option(
        "--until",
        help="Created before: RFC 3339 or a duration ago.",
        show_default=False,
    ),
]


@app.command()
def push(
    ctx: typer.Context,
    key: Annotated[str, typer.Argument(help="The event key, e.g. [bold]user:create[/bold].")],
    payload: Data = None,
    idempotency_key: Annotated[
        str | None,
        typer.Option(
            "--idempotency-key",
            help="Pushing the same key again returns the first event instead of a new one.",
            show_default=False,
        ),
    ] = None,
    output: Output = OutputFormat.table,
) -> None:
    """Push an event; the workflows it triggers start.

    Prints the stored event (with the ids of the runs it triggered) once it is durable.
    """
    body = read_data(payload) if payload is not None else {}
    with daemon_errors(), connect(ctx) as client:
        event = client.events.push(key, body, idempotency_key=idempotency_key)
    emit(output, to_json(event), [event.id], lambda: _events_table([event]))
    if output is OutputFormat.table:
        runs = len(event.run_ids)
        diagnostic(f"pushed {event.key}, triggered {runs} run{'' if runs == 1 else 's'}")


@app.command("list")
def list_events(
    ctx: typer.Context,
    *,
    key: Annotated[
        str | None,
        typer.Option(
            "--key", "-k", help="Exact key, or [bold]*[/bold] segments: user:*.", show_default=False
        ),
    ] = None,
    since: Since = None,
    until: Until = None,
    limit: Annotated[
        int, typer.Option("--limit", "-n", min=1, max=1000, help="At most this many events.")
    ] = 50,
    output: Output = OutputFormat.table,
) -> None:
    """List events, newest first."""
    start, end = parse_time(since, "--since"), parse_time(until, "--until")
    with daemon_errors(), connect(ctx) as client:
        page = client.events.list(key=key, since=start, until=end, limit=limit)
    emit(
        output,
        to_json(page),
        [event.id for event in page.items],
        lambda: _events_table(page.items),
    )
    if output is OutputFormat.table and not page.items:
        diagnostic("no events")


@app.command()
def show(
    ctx: typer.Context,
    event_id: Annotated[str, typer.Argument(metavar="ID", help="The event's id.")],
    output: Output = OutputFormat.table,
) -> None:
    """Show an event: its payload and the workflow runs it triggered."""
    with daemon_errors(), connect(ctx) as client:
        detail = client.events.show(event_id)

    def table() -> None:
        event = detail.event
        for label, value in [
            ("id", event.id),
            ("key", event.key),
            ("created", when(event.created_at)),
            ("replay of", event.replayed_from_id or "-"),
            ("replays", ", ".join(event.replay_ids) or "-"),
            ("idempotency key", event.idempotency_key or "-"),
        ]:
            data(f"{style(f'{label}:'.ljust(17), bold=True)}{value}")
        data("data:")
        for line in json.dumps(event.data, indent=2, ensure_ascii=False).splitlines():
            data(f"  {line}")
        data()
        if detail.runs:
            runs_table(detail.runs)
        else:
            data("no runs")

    emit(output, to_json(detail), [run.id for run in detail.runs], table)


REPLAY_HELP = "\n\n".join(
    [
        "Replay events: push them again as new events linked to the originals.",
        "Name the events by id, or by a filter ([bold]--key[/bold], [bold]--since[/bold], "
        "[bold]--until[/bold]) to replay every match, oldest first. [bold]--data[/bold] replaces "
        "the payload of every replayed event.",
    ]
)


@app.command(help=REPLAY_HELP)
def replay(
    ctx: typer.Context,
    event_ids: Annotated[
        list[str] | None,
        typer.Argument(metavar="ID", help="The events to replay.", show_default=False),
    ] = None,
    *,
    key: Annotated[
        str | None,
        typer.Option(
            "--key",
            "-k",
            help="Replay every event with this key (exact or user:*).",
            show_default=False,
        ),
    ] = None,
    since: Since = None,
    until: Until = None,
    payload: Data = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="List what would be replayed; replay nothing.")
    ] = False,
    output: Output = OutputFormat.table,
) -> None:
    """Replay events (see REPLAY_HELP)."""
    has_filter = key is not None or since is not None or until is not None
    if not event_ids and not has_filter:
        fail("name the events: give IDs, or --key/--since/--until", ExitCode.USAGE)
    if event_ids and has_filter:
        fail("give IDs or --key/--since/--until, not both", ExitCode.USAGE)
    body = read_data(payload) if payload is not None else None
    start, end = parse_time(since, "--since"), parse_time(until, "--until")
    with daemon_errors(), connect(ctx) as client:
        result = client.events.replay(
            event_ids or None, key=key, since=start, until=end, data=body, dry_run=dry_run
        )
    emit(
        output,
        to_json(result),
        [event.id for event in result.events],
        lambda: _events_table(result.events),
    )
    if output is OutputFormat.table:
        count = len(result.events)
        noun = "event" if count == 1 else "events"
        diagnostic(f"would replay {count} {noun}" if dry_run else f"replayed {count} {noun}")


def _events_table(events: list[Event]) -> None:
    print_table(
        ["ID", "KEY", "CREATED", "RUNS", "REPLAY OF"],
        [
            [
                event.id,
                event.key,
                when(event.created_at),
                str(len(event.run_ids)),
                event.replayed_from_id or "-",
            ]
            for event in events
        ],
    )
