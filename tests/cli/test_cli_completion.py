"""`hatchet completion SHELL`: the scripts, and that a shell using them really gets completions
from the installed `hatchet` command."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hatchet_cli.cli.app import app

BIN = Path(sys.executable).parent
"""Where the virtualenv's console scripts are, `hatchet` among them."""


def script(shell: str) -> str:
    result = CliRunner().invoke(app, ["completion", shell])
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    return result.stdout


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish", "powershell"])
def test_each_shell_gets_a_script_that_calls_hatchet_back(shell: str) -> None:
    text = script(shell)
    # bash, zsh and fish set it with `env`, powershell with `$Env:_HATCHET_COMPLETE = "..."`.
    assert re.search(rf'_HATCHET_COMPLETE ?= ?"?complete_{shell}\b', text), text
    assert "hatchet" in text
    assert text.endswith("\n")
    assert not text.startswith("\n")


def test_the_zsh_script_can_live_in_fpath() -> None:
    # zsh autoloads a completion file from $fpath only when `#compdef` is its first line.
    assert script("zsh").splitlines()[0] == "#compdef hatchet"


def test_an_unknown_shell_is_a_usage_error_naming_the_shells() -> None:
    result = CliRunner().invoke(app, ["completion", "tcsh"], env={"COLUMNS": "200"})
    assert result.exit_code == 2
    assert result.stdout == ""
    # Rich may wrap the message inside its box (its width can come from an earlier test in the
    # same process rather than COLUMNS), so read the box's text as one line.
    text = " ".join(result.stderr.replace("│", " ").split())
    assert "'tcsh' is not one of 'bash', 'zsh', 'fish', 'powershell'" in text


def console_env(**variables: str) -> dict[str, str]:
    hatchet = BIN / "hatchet"
    assert hatchet.exists(), f"{hatchet} is missing: install the project (pip install -e .)"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("_HATCHET", "COMP_"))}
    return {**env, "PATH": f"{BIN}{os.pathsep}{env.get('PATH', '')}", **variables}


@pytest.mark.skipif(shutil.which("bash") is None, reason="bash is not installed")
@pytest.mark.parametrize(
    ("words", "offered"),
    [
        (["hatchet", "ev"], ["events"]),
        (["hatchet", "workflows", ""], ["list", "show", "run", "validate"]),
        (["hatchet", "workflows", "list", "-o", ""], ["table", "json", "yaml", "id"]),
        (["hatchet", "completion", "f"], ["fish"]),
    ],
    ids=lambda value: " ".join(value) if isinstance(value, list) else None,
)
def test_bash_with_the_script_sourced_completes(
    tmp_path: Path, words: list[str], offered: list[str]
) -> None:
    completion = tmp_path / "hatchet.bash"
    completion.write_text(script("bash"))
    # What bash does on Tab: set COMP_WORDS and COMP_CWORD, call the function `complete -F`
    # registered for `hatchet`, and read COMPREPLY.
    probe = (
        f"source {completion}\n"
        f"COMP_WORDS=({' '.join(repr(word) for word in words)})\n"
        f"COMP_CWORD={len(words) - 1}\n"
        'func=$(complete -p hatchet | sed -E "s/.* -F ([^ ]+) .*/\\1/")\n'
        '"$func" hatchet\n'
        'printf "%s\\n" "${COMPREPLY[@]}"\n'
    )
    done = subprocess.run(
        ["bash", "--norc", "--noprofile", "-c", probe],
        capture_output=True,
        text=True,
        env=console_env(),
        timeout=30,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == offered


@pytest.mark.parametrize(
    ("shell", "variables"),
    [
        ("zsh", {}),
        ("fish", {"_TYPER_COMPLETE_FISH_ACTION": "get-args"}),
    ],
)
def test_the_console_script_answers_what_the_zsh_and_fish_scripts_ask(
    shell: str, variables: dict[str, str]
) -> None:
    # zsh and fish are rarely installed where tests run: send what their scripts send.
    env = console_env(
        _HATCHET_COMPLETE=f"complete_{shell}", _TYPER_COMPLETE_ARGS="hatchet ev", **variables
    )
    done = subprocess.run(
        [str(BIN / "hatchet")], capture_output=True, text=True, env=env, timeout=30, check=False
    )
    assert done.returncode == 0, done.stderr
    assert "events" in done.stdout
    assert "workflows" not in done.stdout
