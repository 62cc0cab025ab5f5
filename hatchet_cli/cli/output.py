"""How every `hatchet` command talks back: exit codes, data on stdout, diagnostics on stderr.

Data (tables, JSON, the lines a script parses) goes to stdout; progress, warnings, tallies and
errors go to stderr, so `hatchet ... -o json | jq` always sees clean JSON. Colour is used only when
the stream is a terminal and never when `NO_COLOR` is set (https://no-color.org).
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterable, Sequence
from enum import IntEnum, StrEnum
from typing import Annotated, Any, NoReturn, TextIO

import typer

__all__ = [
    "ExitCode",
    "Output",
    "OutputFormat",
    "colour_enabled",
    "data",
    "diagnostic",
    "emit",
    "error",
    "fail",
    "print_json",
    "print_table",
    "print_yaml",
    "style",
    "usage_message",
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
    NO_ANSWER = 7
    """The daemon took the connection but did not answer in time: a push may have been stored
    (push again with the idempotency key the error names)."""


class OutputFormat(StrEnum):
    """`-o` of every list, show, push and replay command."""

    table = "table"
    """For people: a Rich table on a terminal, aligned plain text otherwise."""
    json = "json"
    """The API's JSON shapes (docs/cli.md), a stable contract for programs."""
    yaml = "yaml"
    """The same document as `json`, as YAML."""
    id = "id"
    """The ids alone, one per line, for `xargs` and `$(...)`."""


def output_option(ids: str = "ids") -> Any:
    """The `-o` option every list, show, push and replay takes; `ids` says what `-o id` prints."""
    return typer.Option(
        "--output",
        "-o",
        help="table for people; json or yaml (the shapes "
        f"of docs/cli.md); id: {ids}, one per line.",
    )


Output = Annotated[OutputFormat, output_option()]
"""`output: Output = OutputFormat.table` in a command's signature."""


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


def print_yaml(value: Any) -> None:
    """Print `value` (JSON-compatible) as a YAML document on stdout."""
    import yaml  # here, not at the top: most commands never print YAML

    typer.echo(yaml.safe_dump(value, sort_keys=False, allow_unicode=True), nl=False, color=False)


def print_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    """Print rows under headers on stdout: a Rich table when stdout is a terminal with colour,
    columns aligned with two spaces otherwise (stable text for `grep`, `awk` and tests)."""
    if colour_enabled():
        from rich.console import Console
        from rich.table import Table
        from rich.text import Text

        table = Table(*headers, box=None, header_style="bold", pad_edge=False)
        for row in rows:
            # Cells are plain text, perhaps coloured by `style()`: never Rich markup, or a
            # payload's `[true]` or a key like `` would vanish into formatting.
            table.add_row(*(Text.from_ansi(cell) for cell in row))
        Console().print(table)
        return
    lines = [list(headers), *(list(row) for row in rows)]
    widths = [max(len(line[column]) for line in lines) for column in range(len(headers))]
    for line in lines:
        cells = [cell.ljust(width) for cell, width in zip(line, widths, strict=True)]
        data("  ".join(cells).rstrip())


def emit(
    output: OutputFormat,
    document: Any,
    ids: Iterable[str],
    table: Callable[[], None],
) -> None:
    """Print a command's result in the `-o` format asked for: `document` (JSON-compatible) for
    json and yaml, `ids` one per line for id, and `table()` draws the table for people."""
    if output is OutputFormat.json:
        print_json(document)
    elif output is OutputFormat.yaml:
        print_yaml(document)
    elif output is OutputFormat.id:
        for identifier in ids:
            data(identifier)
    else:
        table()


def usage_message(message: str) -> str:
    """Click's message for a wrong command line in the project's words, on one line:
    `Invalid value for '--status' / '-s': Value error, 'x' is not one of ...` becomes
    `--status: 'x' is not one of ...`."""
    import re

    message = " ".join(message.split()).replace("Value error, ", "")
    invalid = re.match(r"Invalid value for '([^']+)'(?: / '[^']+')*: (.*)", message)
    if invalid:
        message = f"{invalid[1]}: {invalid[2]}"
    # Typer checks values with pydantic: its words for the checks our options make.
    for pydantic_words, ours in _TYPER_WORDS:
        message = re.sub(pydantic_words, ours, message)
    return message.rstrip(".")


_TYPER_WORDS = [
    (r"Input should be greater than or equal to ", "must be at least "),
    (r"Input should be less than or equal to ", "must be at most "),
    (r"Input should be a valid integer.*", "must be a whole number"),
    (r"Input should be a valid number.*", "must be a number"),
    (r"Option '([^']+)' requires an argument", r"\1 needs a value"),
]


def error(message: str) -> None:
    """Print `error: message` on stderr (`fail` also exits)."""
    diagnostic(f"{style('error', err=True, fg='red', bold=True)}: {message}")


def fail(message: str, code: ExitCode = ExitCode.ERROR) -> NoReturn:
    """Print `error: message` on stderr and exit with `code`."""
    error(message)
    raise typer.Exit(int(code))
