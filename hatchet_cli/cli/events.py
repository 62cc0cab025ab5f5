"""`hatchet events`: push events, list and show them, replay them."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated, Any

import typer

from hatchet_cli._cells import when
from hatchet_cli.cli.connection import connect, daemon_errors, parse_time, read_data, to_json
from hatchet_cli.cli.events_wait import WAIT_TIMEOUT, pushed, wait_and_report
from hatchet_cli.cli.output import (
    ExitCode,
    Output,
    OutputFormat,
    data,
    diagnostic,
    emit,
    fail,
    print_table,
    style,
)
from hatchet_cli.cli.payload_paths import PATH_VALUE_HELP, path_values
from hatchet_cli.cli.runs import runs_table

if TYPE_CHECKING:
    from hatchetd.contracts.events import Event

app = typer.Typer(
    name="events",
    help="Events: push them, browse the history, replay them.",
    no_args_is_help=True,
    rich_markup_mode=None,
)

Data = Annotated[
    str | None,
    typer.Option(
        "--data",
        "-d",
        help="The payload, a JSON object: literal JSON, @file, or - for stdin.",
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


RETRY_FOR = 30.0
"""Seconds a push is retried for unless `--retry-for` says otherwise. Kept equal to
`hatchet_cli._retry.DEFAULT_RETRY_FOR` (not imported: `hatchet --help` loads no HTTP client)."""

PUSH_HELP = "\n\n".join(
    [
        "Push an event; the workflows it triggers start.",
        "Prints the stored event, with the ids of the runs it triggered, once it is durable. "
        "An event no active workflow listens to says so on stderr, naming the keys they do "
        "listen to that look like it (did you mean 'order:paid'?).",
        "The push carries an idempotency key (a random one unless --idempotency-key "
        "gives it) and is sent again with the same key when the daemon answers 503, does not "
        f"answer, or the connection breaks, for up to --retry-for seconds "
        f"(default {RETRY_FOR:g}): it is stored once. A daemon that refuses the connection "
        "exits 5 at once; one that took the push but did not answer within "
        "--retry-for exits 7, and the message names the key to push again with. "
        "Pushing an --idempotency-key pushed before (with the same data) says it "
        "returned the existing event: nothing new is stored or started.",
        "With --wait it then waits for those runs to finish and exits 0 if all "
        "succeeded, 1 if one failed or was cancelled or if --timeout passed first. "
        "The table is followed by the runs as they ended; -o json prints the "
        "document of events show, the event beside its runs: "
        '{"event": {...}, "runs": [{...}, ...]}; -o id the event\'s id alone.',
        "\b\nExamples:\n"
        '  hatchet events push user:create --data \'{"user": {"email": "ada@example.com"}}\'\n'
        "  hatchet events push user:create --data @ada.json --idempotency-key signup-ada\n"
        "  hatchet events push user:create --data - < ada.json\n"
        "  hatchet events push user:create --data @ada.json --wait --timeout 60",
    ]
)


@app.command(help=PUSH_HELP)
def push(
    ctx: typer.Context,
    key: Annotated[str, typer.Argument(metavar="KEY", help="The event key, e.g. user:create.")],
    *,
    payload: Data = None,
    idempotency_key: Annotated[
        str | None,
        typer.Option(
            "--idempotency-key",
            help="Pushing the same key again returns the first event instead of a new one "
            "(default: a random key, for this push's own retries).",
            show_default=False,
        ),
    ] = None,
    retry_for: Annotated[
        float,
        typer.Option(
            "--retry-for",
            min=0,
            metavar="SECONDS",
            help="Retry a push the daemon did not answer, or answered 503, for this long "
            "(0: send it once).",
        ),
    ] = RETRY_FOR,
    wait: Annotated[
        bool,
        typer.Option(
            "--wait", help="Wait for the runs the event triggered; exit 1 if one did not succeed."
        ),
    ] = False,
    timeout: Annotated[
        float | None,
        typer.Option(
            "--timeout",
            min=0,
            metavar="SECONDS",
            help=f"With --wait: give up (exit 1) after this long (default {WAIT_TIMEOUT:g}).",
            show_default=False,
        ),
    ] = None,
    output: Output = OutputFormat.table,
) -> None:
    """Push an event (see PUSH_HELP)."""
    if timeout is not None and not wait:
        fail("--timeout goes with --wait", ExitCode.USAGE)
    body = read_data(payload) if payload is not None else {}
    with daemon_errors(), connect(ctx, retry_for=retry_for) as client:
        document = client.events.push_document(key, body, idempotency_key=idempotency_key)
        if output is not OutputFormat.table and not wait:
            # Scripts' path: the daemon's document as it came, so no models load (start-up).
            emit(output, document, [document["id"]], lambda: None)
            return
        from hatchetd.contracts.api import PushedEvent

        event = PushedEvent.model_validate(document)
        key_given = idempotency_key is not None

        def table() -> None:
            _events_table([event], run_ids=True)

        if wait:
            limit = WAIT_TIMEOUT if timeout is None else timeout
            wait_and_report(client, event, limit, output, table, key_given=key_given)
            return
    table()
    diagnostic(pushed(event, key_given=key_given))


LIST_HELP = "\n\n".join(
    [
        "List events, newest first.",
        "--where keeps the events whose payload holds a value at a dot path, "
        'compared as JSON: order.total=42 matches 42 and 42.0 but not "42". '
        f"{PATH_VALUE_HELP} Repeat it: every one must hold.",
        "Without --all it lists the newest --limit events (50) and "
        "says on stderr when more match; with it, every match, fetched --limit at a "
        "time (1000).",
        "\b\nExamples:\n"
        "  hatchet events list --key 'user:*' --since 1h\n"
        "  hatchet events list --where user.email=ada@example.com\n"
        "  hatchet events list --where order.total=42 --where flags.vip=true\n"
        "  hatchet events list --where zip='\"02139\"' --since 2026-05-01T00:00:00Z\n"
        "  hatchet events list --key order:paid --all -o id",
    ]
)


@app.command("list", help=LIST_HELP)
def list_events(
    ctx: typer.Context,
    *,
    key: Annotated[
        str | None,
        typer.Option("--key", "-k", help="Exact key, or * segments: user:*.", show_default=False),
    ] = None,
    since: Since = None,
    until: Until = None,
    where: Annotated[
        list[str] | None,
        typer.Option(
            "--where",
            "-w",
            metavar="PATH=VALUE",
            help="Only events whose payload holds VALUE at PATH "
            "(user.email=ada@example.com); repeat for several, all must hold.",
            show_default=False,
        ),
    ] = None,
    limit: Annotated[
        int | None,
        typer.Option(
            "--limit",
            "-n",
            min=1,
            max=1000,
            help="At most this many events (default 50); with --all, how many per request "
            "(default 1000).",
            show_default=False,
        ),
    ] = None,
    every: Annotated[
        bool, typer.Option("--all", "-a", help="Every matching event, page after page.")
    ] = False,
    output: Output = OutputFormat.table,
) -> None:
    """List events (see LIST_HELP)."""
    from hatchetd.contracts.api import EventList

    start, end = parse_time(since, "--since"), parse_time(until, "--until")
    matches = path_values(where, "--where")
    with daemon_errors(), connect(ctx) as client:
        if every:
            events = client.events.list_all(
                key=key, since=start, until=end, where=matches, page_size=limit or 1000
            )
            if output is OutputFormat.id:
                for event in events:  # each page's ids print as soon as it arrives
                    data(event.id)
                return
            # A table is aligned over all its rows and a document is one value: collect first.
            page = EventList(items=list(events), next_cursor=None)
        else:
            page = client.events.list(
                key=key, since=start, until=end, where=matches, limit=limit or 50
            )
    emit(
        output,
        to_json(page),
        [event.id for event in page.items],
        lambda: _events_table(page.items),
    )
    if output is OutputFormat.table and not page.items:
        diagnostic("no events")
    elif output is OutputFormat.table and page.next_cursor is not None:
        diagnostic(f"the newest {len(page.items)} shown; more match: --all lists every one")


@app.command()
def show(
    ctx: typer.Context,
    event_id: Annotated[str, typer.Argument(metavar="ID", help="The event's id.")],
    output: Output = OutputFormat.table,
) -> None:
    """Show an event: its payload and the workflow runs it triggered.

    Examples:

    \b
      hatchet events show 3f0c
      hatchet events show 3f0c -o json | jq .event.data
      hatchet events show 3f0c -o id
    """
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
        "Name the events by id, or by a filter (--key, --since, "
        "--until) to replay every match, oldest first. --data replaces "
        "the payload of every replayed event; --set then puts a value at a dot path "
        f"in each event's own payload, creating missing objects. {PATH_VALUE_HELP} A path "
        "through a value that is not an object refuses the whole replay.",
        "--dry-run lists what would be replayed and writes nothing; with "
        "--data or --set it shows the payload each replay would carry.",
        "\b\nExamples:\n"
        "  hatchet events replay 3f2a9c41\n"
        "  hatchet events replay --key 'user:*' --since 1h --dry-run\n"
        "  hatchet events replay --key user:create --set user.email=grace@example.com --dry-run\n"
        "  hatchet events replay --key order:paid --since 2026-05-01T00:00:00Z --data @fixed.json",
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
    edits: Annotated[
        list[str] | None,
        typer.Option(
            "--set",
            "-s",
            metavar="PATH=VALUE",
            help="Put VALUE at PATH in each replayed payload (user.vip=true); "
            "repeat for several, applied in order.",
            show_default=False,
        ),
    ] = None,
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
    changes = path_values(edits, "--set")
    start, end = parse_time(since, "--since"), parse_time(until, "--until")
    with daemon_errors(), connect(ctx) as client:
        result = client.events.replay(
            event_ids or None,
            key=key,
            since=start,
            until=end,
            data=body,
            set=changes,
            dry_run=dry_run,
        )
    preview = dry_run and (body is not None or bool(changes))
    emit(
        output,
        to_json(result),
        [event.id for event in result.events],
        lambda: _events_table(result.events, payloads=preview, run_ids=not dry_run),
    )
    if output is OutputFormat.table:
        count = len(result.events)
        noun = "event" if count == 1 else "events"
        diagnostic(f"would replay {count} {noun}" if dry_run else f"replayed {count} {noun}")


def _events_table(events: list[Event], *, payloads: bool = False, run_ids: bool = False) -> None:
    """Events one per row; with `payloads`, each one's data (compact JSON) instead of its runs
    and original, which is what a dry run with edits is about. The RUNS column counts the runs,
    or with `run_ids` (a push or replay: what to look at next) lists their ids."""
    if payloads:
        print_table(
            ["ID", "KEY", "CREATED", "DATA"],
            [
                [event.id, event.key, when(event.created_at), _compact(event.data)]
                for event in events
            ],
        )
        return
    print_table(
        ["ID", "KEY", "CREATED", "RUNS", "REPLAY OF"],
        [
            [
                event.id,
                event.key,
                when(event.created_at),
                (", ".join(event.run_ids) or "-") if run_ids else str(len(event.run_ids)),
                event.replayed_from_id or "-",
            ]
            for event in events
        ],
    )


def _compact(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
