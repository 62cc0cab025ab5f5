"""How every `hatchet` command talks back: exit codes, data on stdout, diagnostics on stderr.

Data (tables, JSON, the lines a script parses) goes to stdout; progress, warnings, tallies and
errors go to stderr, so `hatchet ... -o json | jq` always sees clean JSON. Colour is used only when
the stream is a terminal and never when `NO_COLOR` is set (https://no-color.org).
"""

from __future__ import annotations

import json
import os
import sys
from enum import IntEnum
from typing import Any, NoReturn, TextIO

import typer

__all__ = [
    "ExitCode",
    "colour_enabled",
    "data",
    "diagnostic",
    "fail",
    "print_json",
    "style",
]


class ExitCode(IntEnum):
    """The exit codes of every `hatchet` command (design §10); scripts may rely on them."""

    OK = 0
    """Success."""
    ERROR = 1
    """Anything else that went wrong."""
    USAGE = 2
    """The command line itself is wrong (unknown option, missing argument)."""
    NOT_FOUND = 3
    """The event, run, workflow or worker named does not exist."""
    AUTH = 4
    """The daemon refused the token (or none was given)."""
    UNREACHABLE = 5
    """The daemon could not be reached at its address."""
    INVALID_INPUT = 6
    """The input is invalid: a workflow file with errors, bad JSON data, a missing path."""


def colour_enabled(*, err: bool = False) -> bool:
    """Whether to colour stdout (or stderr with `err=True`): a terminal, and no `NO_COLOR`."""
    if os.environ.get("NO_COLOR", ""):
        return False
    stream: TextIO = sys.stderr if err else sys.stdout
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # a replaced or closed stream
        return False


def style(
    text: str,
    *,
    err: bool = False,
    fg: str | None = None,
    bold: bool = False,
    dim: bool = False,
) -> str:
    """`text` styled for stdout (or stderr with `err=True`) when colour is on; as is otherwise."""
    if not colour_enabled(err=err):
        return text
    # None, not False: False would emit a "not bold" code of its own.
    return typer.style(text, fg=fg, bold=bold or None, dim=dim or None)


def data(text: str = "") -> None:
    """Print a line of data on stdout."""
    typer.echo(text, color=colour_enabled())


def diagnostic(text: str) -> None:
    """Print a line for the human on stderr: a tally, a warning, an error."""
    typer.echo(text, err=True, color=colour_enabled(err=True))


def print_json(value: Any) -> None:
    """Print `value` as indented JSON on stdout (never coloured: it is for programs)."""
    typer.echo(json.dumps(value, indent=2, ensure_ascii=False), color=False)


def fail(message: str, code: ExitCode = ExitCode.ERROR) -> NoReturn:
    """Print `error: message` on stderr and exit with `code`."""
    diagnostic(f"{style('error', err=True, fg='red', bold=True)}: {message}")
    raise typer.Exit(int(code))
