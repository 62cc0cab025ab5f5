"""The root `hatchet` command: global options and the command groups, nothing else.

Each group lives in its own module (`workflows.py`, ...), named in `LAZY_COMMANDS` and imported
only when the command line reaches it (`lazy_group.py`): `hatchet --help` lists them from their
summaries, and `hatchet events push` loads the events module alone.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from typing import Annotated, Any

import typer

from hatchet_cli import __version__
from hatchet_cli.cli.connection import DEFAULT_ADDRESS, Connection
from hatchet_cli.cli.lazy_group import LazyCommand, LazyGroup, output_defaults
from hatchet_cli.cli.output import ExitCode, error, usage_message

LAZY_COMMANDS = [
    LazyCommand(
        "status",
        "hatchet_cli.cli.status",
        "status",
        "Show the daemon's address, version, store, folder, uptime, workers, queue depth, and its "
        "place among the daemons sharing the store (leader or follower).",
    ),
    LazyCommand(
        "tui",
        "hatchet_cli.cli.tui",
        "tui",
        "Browse events, runs, workflows and workers live; filter, inspect and replay events.",
    ),
    LazyCommand(
        "completion",
        "hatchet_cli.cli.completion",
        "completion",
        "Print the shell completion script for SHELL: bash, zsh, fish or powershell.",
    ),
    LazyCommand(
        "events",
        "hatchet_cli.cli.events",
        "app",
        "Events: push them, browse the history, replay them.",
    ),
    LazyCommand(
        "runs",
        "hatchet_cli.cli.runs_group",
        "app",
        "Workflow runs: list them, trace one, cancel it, read its logs, rerun it.",
    ),
    LazyCommand(
        "workflows",
        "hatchet_cli.cli.workflows",
        "app",
        "Workflows: list what the daemon loaded, show or run one, check files offline.",
    ),
    LazyCommand(
        "workers", "hatchet_cli.cli.workers", "app", "Workers: the processes that run your steps."
    ),
    LazyCommand(
        "dev",
        "hatchet_cli.cli.dev",
        "dev",
        "Run hatchetd and your workers together, restarting a worker when its code changes.",
    ),
]
"""Every command under `hatchet`, in help order; a test checks each summary against the command."""


class RootGroup(LazyGroup):
    """`hatchet` itself: the commands of `LAZY_COMMANDS`, loaded when named; a wrong command
    line is one `error: ...` line and exit 2, like every other error (click prints three)."""

    lazy_commands = LAZY_COMMANDS

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        windows_expand_args: bool = True,
        **extra: Any,
    ) -> Any:
        def run() -> Any:
            return super(RootGroup, self).main(
                args, prog_name, complete_var, False, windows_expand_args, **extra
            )

        if not standalone_mode:
            return run()
        from typer import Abort
        from typer._click.exceptions import ClickException, NoArgsIsHelpError, UsageError

        try:
            result = run()
        except NoArgsIsHelpError as exc:
            exc.show()  # the help itself
            sys.exit(exc.exit_code)
        except UsageError as exc:
            # Click's parser leaves the context out of some errors: then no help to name.
            see = f" (see {exc.ctx.command_path} --help)" if exc.ctx is not None else ""
            error(f"{usage_message(exc.format_message())}{see}")
            sys.exit(ExitCode.USAGE)
        except ClickException as exc:
            error(exc.format_message())
            sys.exit(exc.exit_code)
        except Abort:
            error("aborted")
            sys.exit(ExitCode.ERROR)
        sys.exit(result if isinstance(result, int) else 0)


app = typer.Typer(
    name="hatchet",
    cls=RootGroup,
    help="A local-first event store and workflow engine: push events, run workflows on your own "
    "workers, browse and replay the history.",
    no_args_is_help=True,
    # Plain help: Typer's Rich help imports rich.markdown, markdown-it and Pygments, a third of
    # a second of start-up for every command (issue 13).
    rich_markup_mode=None,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


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
            help="Where the daemon listens. Also accepted after the command.",
        ),
    ] = DEFAULT_ADDRESS,
    token: Annotated[
        str | None,
        typer.Option(
            "--token",
            envvar="HATCHET_TOKEN",
            help="The daemon's token, if it needs one. Also accepted after the command.",
            show_default=False,
            show_envvar=True,
        ),
    ] = None,
    output: Annotated[
        str | None,
        typer.Option(
            "--output",
            "-o",
            metavar="FORMAT",
            help="The default -o of the command (table, json, yaml or id).",
            show_default=False,
        ),
    ] = None,
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

    Start with hatchet workflows validate to check the files in .hatchet/.
    """
    ctx.obj = Connection(address=address, token=token or None)
    if output is not None and ctx.invoked_subcommand is not None:
        # The command is already loaded (click resolves it before this callback runs).
        command = ctx.command.get_command(ctx, ctx.invoked_subcommand)  # type: ignore[attr-defined]
        ctx.default_map = {ctx.invoked_subcommand: output_defaults(command, output)}


def main() -> None:
    """Entry point of the `hatchet` console script."""
    if "_HATCHET_COMPLETE" in os.environ:
        # A shell asking for completions (completion.COMPLETE_VAR): that module registers the
        # shells' classes, and the lazy commands leave it unloaded until its command runs.
        import hatchet_cli.cli.completion  # noqa: F401
    app(prog_name="hatchet")


if __name__ == "__main__":
    main()
