"""A command group that imports each command's module only when the command line names it, and
the global options every command also takes after its name.

`hatchet --help` prints the commands from their summaries and loads none of them; `hatchet events
push` loads `events.py` and what it imports, not `runs_watch.py` nor the TUI. Any command still
registered the usual way (`app.command()`, `app.add_typer()`) is kept beside the lazy ones.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping, MutableMapping
from dataclasses import dataclass, replace
from typing import Annotated, Any

import typer
import typer.core
import typer.main

from hatchet_cli.cli.connection import Connection

_Command = Any
"""A click command of Typer's vendored click (`typer._click.Command`), which has no public name."""


@dataclass(frozen=True)
class LazyCommand:
    """A command under the root: its name, where it lives, and its one-line summary for help."""

    name: str
    module: str
    attribute: str
    """A `typer.Typer` (a group of commands) or the command's function, in `module`."""
    summary: str

    def load(self) -> _Command:
        """The command, built as Typer builds it, taking the global options after its name."""
        target = getattr(importlib.import_module(self.module), self.attribute)
        command: _Command
        if isinstance(target, typer.Typer):
            command = typer.main.get_group(target)
        else:
            # A function: the module names its help `<NAME>_HELP` beside it.
            holder = typer.Typer(rich_markup_mode=None, add_completion=False)
            helps = getattr(importlib.import_module(self.module), f"{self.name.upper()}_HELP")
            holder.command(name=self.name, help=helps)(target)
            command = typer.main.get_command(holder)
        command.name = self.name
        _add_global_options(command)
        return command


class _Commands(MutableMapping[str, _Command]):
    """The group's `commands`: the lazy ones built on first lookup, the rest as given."""

    def __init__(self, lazy: list[LazyCommand], eager: Mapping[str, _Command]) -> None:
        self._lazy = {entry.name: entry for entry in lazy}
        self._built: dict[str, _Command] = dict(eager)

    def __getitem__(self, name: str) -> _Command:
        if name not in self._built:
            self._built[name] = self._lazy[name].load()
        return self._built[name]

    def __setitem__(self, name: str, command: _Command) -> None:
        self._built[name] = command

    def __delitem__(self, name: str) -> None:
        self._built.pop(name, None)
        self._lazy.pop(name, None)

    def __iter__(self) -> Iterator[str]:
        yield from self._lazy
        yield from (name for name in self._built if name not in self._lazy)

    def __len__(self) -> int:
        return len(set(self._lazy) | set(self._built))

    def summary(self, name: str) -> str | None:
        """A lazy command's summary without loading it; None for the others."""
        entry = self._lazy.get(name)
        return entry.summary if entry is not None and name not in self._built else None


class LazyGroup(typer.core.TyperGroup):
    """A Typer group whose subclass names its `lazy_commands`."""

    lazy_commands: list[LazyCommand] = []

    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        self.commands = _Commands(self.lazy_commands, self.commands)

    def format_commands(self, ctx: Any, formatter: Any) -> None:
        """The commands and their summaries, as Typer prints them, without loading any."""
        commands = self.commands
        assert isinstance(commands, _Commands)
        rows: list[tuple[str, str]] = []
        width = formatter.width - 6 - max(len(name) for name in commands)
        for name in commands:
            summary = commands.summary(name)
            if summary is None:
                rows.append((name, commands[name].get_short_help_str(width)))
            else:
                rows.append((name, _short(summary, width)))
        with formatter.section("Commands"):
            formatter.write_dl(rows)


def _short(text: str, limit: int) -> str:
    """`text` cut to `limit` the way click shortens a command's help."""
    from typer._click.utils import make_default_short_help

    return make_default_short_help(text, limit)


def output_defaults(command: _Command, output: str) -> dict[str, Any]:
    """A click `default_map` giving every command under `command` that has `-o` the value `output`
    (the root's `-o`, which a command's own `-o` overrides)."""
    children = getattr(command, "commands", None)
    if isinstance(children, Mapping):
        return {name: output_defaults(child, output) for name, child in children.items()}
    names = {param.name for param in command.params}
    return {"output": output} if "output" in names else {}


def _set_address(ctx: typer.Context, value: str | None) -> None:
    if value is not None:
        ctx.obj = replace(_connection(ctx), address=value)


def _set_token(ctx: typer.Context, value: str | None) -> None:
    if value:
        ctx.obj = replace(_connection(ctx), token=value)


def _connection(ctx: typer.Context) -> Connection:
    return ctx.find_object(Connection) or Connection()


def _global_options() -> list[Any]:
    """`--address` and `--token` as options of any command: given after it, they replace what
    the root options (or HATCHET_ADDRESS, HATCHET_TOKEN) said."""
    holder = typer.Typer(rich_markup_mode=None, add_completion=False)

    @holder.command()
    def options(
        address: Annotated[
            str | None,
            typer.Option(
                "--address",
                help="Where the daemon listens (as hatchet --address).",
                callback=_set_address,
                expose_value=False,
                show_default=False,
            ),
        ] = None,
        token: Annotated[
            str | None,
            typer.Option(
                "--token",
                help="The daemon's token (as hatchet --token).",
                callback=_set_token,
                expose_value=False,
                show_default=False,
            ),
        ] = None,
    ) -> None:
        """Only here to have Typer build the options."""

    params: list[Any] = typer.main.get_command(holder).params
    return params


def _add_global_options(command: _Command) -> None:
    children = getattr(command, "commands", None)
    if isinstance(children, Mapping):
        for child in children.values():
            _add_global_options(child)
        return
    taken = {opt for param in command.params for opt in getattr(param, "opts", [])}
    extra = [param for param in _global_options() if not taken & set(param.opts)]
    command.params.extend(extra)
