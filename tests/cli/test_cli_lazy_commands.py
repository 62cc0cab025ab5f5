"""The root command lists its commands from summaries without loading them: each summary must
be what the command's own help says first, and each listed command must load."""

from __future__ import annotations

import pytest

from hatchet_cli.cli.app import LAZY_COMMANDS
from hatchet_cli.cli.lazy_group import LazyCommand


@pytest.mark.parametrize("entry", LAZY_COMMANDS, ids=lambda entry: entry.name)
def test_each_summary_is_the_first_paragraph_of_the_commands_help(entry: LazyCommand) -> None:
    command = entry.load()
    assert command.name == entry.name
    first_paragraph = " ".join((command.help or "").split("\n\n")[0].split())
    assert first_paragraph == entry.summary


def test_every_command_takes_address_and_token_after_its_name() -> None:
    def leaves(command: object) -> list[object]:
        children = getattr(command, "commands", None)
        if children is None:
            return [command]
        return [leaf for child in children.values() for leaf in leaves(child)]

    for entry in LAZY_COMMANDS:
        for leaf in leaves(entry.load()):
            options = {opt for param in leaf.params for opt in param.opts}  # type: ignore[attr-defined]
            assert {"--address", "--token"} <= options, leaf
