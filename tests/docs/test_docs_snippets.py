"""Every snippet in docs/ (and the README) is checked: Python blocks run against a real daemon
serving the shipped example with the example worker (and every run they start must succeed),
YAML workflows validate, each `hatchet …` command line in a shell block names commands and
options that exist, and each `hatchetd …` line parses. A block the page marks
`<!-- not-run: WHY -->` is checked less, never silently skipped."""

from __future__ import annotations

import ast
import asyncio
import inspect
import json
import shlex
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from hatchet_cli.cli.app import app
from hatchet_cli.client import Client
from hatchetd.settings import parse_settings
from tests.docs.markdown_blocks import Block, blocks
from tests.live import ROOT, example_worker_module, serve_daemon, serve_worker

PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
ALL = [block for page in PAGES for block in blocks(page)]
PYTHON = [b for b in ALL if b.lang == "python"]
YAML = [b for b in ALL if b.lang == "yaml"]
SHELL = [b for b in ALL if b.lang in ("sh", "bash", "shell")]
SHELL_OPERATORS = {"|", "||", "&&", ";", "&", ">", ">>", "<", "2>&1"}


def where(block: Block) -> str:
    return block.where


# -- the extractor -----------------------------------------------------------------------------


def test_blocks_are_found_with_their_line_language_and_marker(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text(
        "text\n\n```python\nx = 1\n```\n\n- a list\n\n"
        "  <!-- not-run: needs a printer -->\n\n  ```sh\n  hatchet status\n  ```\n"
    )
    assert blocks(page) == [
        Block(page, 3, "python", "x = 1\n", None),
        Block(page, 11, "sh", "hatchet status\n", "needs a printer"),
    ]


def test_the_docs_have_snippets_of_each_kind() -> None:
    assert len(PYTHON) >= 10
    assert YAML
    assert SHELL


# -- Python ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def address(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A daemon on a copy of the shipped example, with examples/worker.py's worker connected
    (its actions validate their inputs: a snippet's wrong payload fails its run)."""
    with (
        serve_daemon(tmp_path_factory.mktemp("docs")) as served,
        example_worker_module() as example,
    ):
        worker = example.build_worker("docs-worker", slots=4, address=served)
        with serve_worker(worker):
            yield served


def compiled(block: Block) -> Any:
    return compile(block.text, block.where, "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)


@pytest.mark.parametrize("block", PYTHON, ids=where)
def test_every_python_block_compiles(block: Block) -> None:
    compiled(block)


@pytest.mark.parametrize("block", [b for b in PYTHON if b.not_run is None], ids=where)
def test_a_python_block_runs_and_every_run_it_starts_succeeds(
    block: Block, address: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HATCHET_ADDRESS", address)
    with Client(address) as client:
        before = {run.id for run in client.runs.list(limit=500).items}
        done = eval(compiled(block), {"__name__": "docs_snippet"})
        if inspect.iscoroutine(done):
            asyncio.run(done)
        started = [r for r in client.runs.list(limit=500).items if r.id not in before]
        finals = {run.id: client.runs.wait(run.id, timeout=30).run.status for run in started}
    assert all(status == "SUCCEEDED" for status in finals.values()), finals


# -- YAML --------------------------------------------------------------------------------------


@pytest.mark.parametrize("block", YAML, ids=where)
def test_a_yaml_workflow_validates(block: Block, tmp_path: Path) -> None:
    if block.not_run is not None:
        assert "jobs:" not in block.text, f"{block.where} is a workflow: it must validate"
        return
    path = tmp_path / "workflow.yaml"
    path.write_text(block.text)
    result = CliRunner().invoke(app, ["workflows", "validate", str(path)])
    assert result.exit_code == 0, result.output


# -- shell -------------------------------------------------------------------------------------


def commands_of(program: str, text: str) -> list[list[str]]:
    """The `program …` commands of a shell block, as words, up to a shell operator."""
    commands = []
    for line in text.replace("\\\n", " ").splitlines():
        words = shlex.split(line, comments=True)
        while program in words:
            words = words[words.index(program) + 1 :]
            end = next((i for i, w in enumerate(words) if w in SHELL_OPERATORS), len(words))
            commands.append(words[:end])
            words = words[end:]
    return commands


def check_parses(words: list[str]) -> None:
    """The command path exists and every option given is one of it or of a group above it."""
    # typer carries a click of its own: its classes are not `click`'s.
    command: Any = typer.main.get_command(app)
    options: set[str] = set()
    rest = list(words)
    while True:
        for param in command.params:
            options.update(getattr(param, "opts", []))
            options.update(getattr(param, "secondary_opts", []))
        # A group's commands are a mapping (the root's loads each command when it is named).
        if not isinstance(getattr(command, "commands", None), Mapping):  # a command
            break
        names = [w for w in rest if not w.startswith("-")]
        if not names:
            break
        child = command.commands.get(names[0])
        assert child is not None, f"hatchet has no command {names[0]!r} (in {shlex.join(words)})"
        command = child
        rest = rest[rest.index(names[0]) + 1 :]
    given = [w.split("=", 1)[0] for w in words if w.startswith("-") and w != "-"]
    unknown = [w for w in given if w not in options]
    assert unknown == [], f"unknown options {unknown} in: hatchet {shlex.join(words)}"


@pytest.mark.parametrize("block", SHELL, ids=where)
def test_a_shell_block_s_hatchet_commands_exist_with_their_options(block: Block) -> None:
    for words in commands_of("hatchet", block.text):
        check_parses(words)
    for words in commands_of("hatchetd", block.text):
        # The flags as hatchetd reads them (a token, as a non-loopback --host needs one).
        parse_settings(words, {"HATCHET_TOKEN": "a-token"})


PUSHES = [
    pytest.param(words, id=f"{block.where} {words[2]}")
    for block in SHELL
    for words in commands_of("hatchet", block.text)
    # `--data @file` names a file the reader has, the test not
    if words[:2] == ["events", "push"] and not any(w.startswith("@") for w in words)
]


@pytest.mark.parametrize("words", PUSHES)
def test_a_shell_block_s_push_runs_and_its_runs_succeed(words: list[str], address: str) -> None:
    result = CliRunner().invoke(app, ["--address", address, *words, "-o", "json"])
    assert result.exit_code == 0, result.output
    with Client(address) as client:
        printed = json.loads(result.stdout)
        event = client.events.get(printed.get("event", printed)["id"])  # --wait: an EventDetail
        assert event.run_ids, f"hatchet {shlex.join(words)} started no run"
        finals = {r: client.runs.wait(r, timeout=30).run.status for r in event.run_ids}
    assert all(status == "SUCCEEDED" for status in finals.values()), finals


def test_the_command_check_catches_a_wrong_command_and_a_wrong_option() -> None:
    check_parses(["runs", "list", "--status", "failed", "--since", "1h"])
    with pytest.raises(AssertionError, match="no command 'rerunn'"):
        check_parses(["runs", "rerunn", "x"])
    with pytest.raises(AssertionError, match="unknown options"):
        check_parses(["runs", "list", "--stauts", "failed"])
    assert commands_of("hatchetd", "hatchetd --prot 1 &  # typo\n") == [["--prot", "1"]]
    with pytest.raises(SystemExit):
        parse_settings(["--prot", "1"], {})
