"""`hatchet completion SHELL`: print the script that makes a shell complete `hatchet` commands.

The script calls `hatchet` back with `_HATCHET_COMPLETE=complete_<shell>` (and the words typed so
far) whenever the user presses Tab; the command's `main()` answers that before any command runs,
with the click shell-completion classes Typer ships (Typer vendors click as `typer._click`, so the
stand-alone `click.shell_completion` classes would not understand Typer's command objects).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer
from typer._click.shell_completion import get_completion_class
from typer._completion_classes import completion_init

from hatchet_cli.cli.output import ExitCode, data, fail

PROG_NAME = "hatchet"
COMPLETE_VAR = "_HATCHET_COMPLETE"
"""The variable the scripts set when they ask `hatchet` for completions."""

# The root app is built with add_completion=False (no --install-completion/--show-completion
# options on every command), and then Typer never registers its shell classes, so a shell asking
# `hatchet` for completions would get "Shell bash not supported". Registering them here, when
# app.py imports this module, costs nothing: Typer has already imported the classes.
completion_init()


class Shell(StrEnum):
    """The shells `hatchet completion` writes a script for."""

    bash = "bash"
    zsh = "zsh"
    fish = "fish"
    powershell = "powershell"


# Typer keeps single line breaks after the first paragraph, so each paragraph is one line here.
COMPLETION_HELP = "\n\n".join(
    [
        "Print the shell completion script for SHELL: bash, zsh, fish or powershell.",
        "Save it where your shell looks for completions and open a new shell: Tab then "
        "completes command groups, commands, options and their values.",
        "\b\nExamples:\n"
        "  hatchet completion bash > ~/.local/share/bash-completion/completions/hatchet\n"
        "  hatchet completion zsh > ~/.zfunc/_hatchet\n"
        "  hatchet completion fish > ~/.config/fish/completions/hatchet.fish\n"
        "  hatchet completion powershell >> $PROFILE\n"
        '  eval "$(hatchet completion bash)"     # for this shell only',
        "For zsh, ~/.zshrc needs fpath+=~/.zfunc before autoload -Uz compinit && compinit.",
    ]
)


def completion(
    ctx: typer.Context,
    shell: Annotated[
        Shell,
        typer.Argument(metavar="SHELL", help="bash, zsh, fish or powershell.", show_default=False),
    ],
) -> None:
    """Print the completion script for SHELL (see COMPLETION_HELP)."""
    completer = get_completion_class(shell.value)
    if completer is None:  # only if Typer stopped registering a shell it used to
        fail(f"no completion support for {shell.value} in this Typer version", ExitCode.ERROR)
    script = completer(ctx.find_root().command, {}, PROG_NAME, COMPLETE_VAR).source()
    # strip(): the templates start with a blank line, and zsh wants `#compdef` on the first line
    # of a file in $fpath.
    data(script.strip())
