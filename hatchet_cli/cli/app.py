"""The root `hatchet` command: global options and the command groups, nothing else.

Each group lives in its own module (`workflows.py`, ...) and is added here with `add_typer`.
"""

from __future__ import annotations

from typing import Annotated

import typer

from hatchet_cli import __version__
from hatchet_cli.cli import workflows

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
app.add_typer(workflows.app, name="workflows")


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"hatchet {__version__}")
        raise typer.Exit()


@app.callback()
def root(
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


def main() -> None:
    """Entry point of the `hatchet` console script."""
    app(prog_name="hatchet")


if __name__ == "__main__":
    main()
