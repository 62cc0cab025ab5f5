"""The root `hatchet` command: global options and the command groups, nothing else.

Each group lives in its own module (`workflows.py`, ...) and is added here with `add_typer`.
"""

from __future__ import annotations

import os
from typing import Annotated

import typer

from hatchet_cli import __version__
from hatchet_cli.cli import completion, dev, events, runs, status, tui, workers, workflows
from hatchet_cli.cli.connection import DEFAULT_ADDRESS, Connection

app = typer.Typer(
    name="hatchet",
    help="A local-first event store and workflow engine: push events, run workflows on your own "
    "workers, browse and replay the history.",
    no_args_is_help=True,
    rich_markup_mode="rich",
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)
app.add_typer(events.app, name="events")
app.add_typer(runs.app, name="runs")
app.add_typer(workflows.app, name="workflows")
app.add_typer(workers.app, name="workers")
app.command(name="status", help=status.STATUS_HELP)(status.status)
app.command(name="tui", help=tui.TUI_HELP)(tui.tui)
app.command(name="completion", help=completion.COMPLETION_HELP)(completion.completion)
app.command(name="dev", help=dev.DEV_HELP)(dev.dev)


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"hatchet {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    address: Annotated[
        str,
        typer.Option(
            "--address",
            envvar="HATCHET_ADDRESS",
            help="Where the daemon listens. The token, if it needs one, comes from "
            "[bold]HATCHET_TOKEN[/bold].",
        ),
    ] = DEFAULT_ADDRESS,
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            help="Print the version and exit.",
            callback=_print_version,
            is_eager=True,
        ),
    ] = False,
) -> None:
    """A local-first event store and workflow engine: push events, run workflows on your own
    workers, browse and replay the history.

    Start with [bold]hatchet workflows validate[/bold] to check the files in [bold].hatchet/[/bold].
    """
    ctx.obj = Connection(address=address, token=os.environ.get("HATCHET_TOKEN") or None)


def main() -> None:
    """Entry point of the `hatchet` console script."""
    app(prog_name="hatchet")


if __name__ == "__main__":
    main()
