"""The command reference of `docs/cli.md`, generated from the `--help` of every command.

`python -m hatchet_cli.cli.reference` rewrites the part of `docs/cli.md` between the two marker
lines; `--check` only says whether it is current (a test runs the check, so the page cannot drift
from the commands). Help is rendered the way a person sees it, at a fixed width and without
colour, so the page shows exactly what `hatchet ... --help` prints. The `hatchet` command never
imports this module.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path

import typer.main
from typer.testing import CliRunner

from hatchet_cli.cli.app import app
from hatchet_cli.cli.json_shapes import COMMAND_SHAPES, command_of, render_shapes

BEGIN = "<!-- BEGIN GENERATED REFERENCE: python -m hatchet_cli.cli.reference -->"
END = "<!-- END GENERATED REFERENCE -->"
WIDTH = 100
DOC = Path(__file__).resolve().parents[2] / "docs" / "cli.md"


def command_paths() -> Iterator[tuple[str, ...]]:
    """Every command and group under `hatchet`, groups before their commands, in help order."""
    root = typer.main.get_command(app)

    def walk(command: object, path: tuple[str, ...]) -> Iterator[tuple[str, ...]]:
        yield path
        children = getattr(command, "commands", None)
        if isinstance(children, Mapping):
            for name, child in children.items():
                if not getattr(child, "hidden", False):
                    yield from walk(child, (*path, name))

    yield from walk(root, ())


def help_text(path: tuple[str, ...]) -> str:
    """What `hatchet PATH --help` prints at `WIDTH` columns without colour, trailing blanks cut."""
    env = {"COLUMNS": str(WIDTH), "TERMINAL_WIDTH": str(WIDTH), "NO_COLOR": "1"}
    result = CliRunner().invoke(app, [*path, "--help"], env=env, prog_name="hatchet")
    if result.exit_code != 0:
        raise RuntimeError(f"hatchet {' '.join(path)} --help failed: {result.output}")
    lines = [line.rstrip() for line in result.stdout.splitlines()]
    return "\n".join(lines).strip("\n")


def render() -> str:
    """The generated reference: the JSON shapes, then each command's help in a text block."""
    parts = [render_shapes(), "## Commands\n"]
    for path in command_paths():
        name = " ".join(("hatchet", *path))
        level = "####" if len(path) == 2 else "###"
        parts.append(f"{level} `{name}`\n\n```text\n{help_text(path)}\n```\n")
        for key, shape in COMMAND_SHAPES.items():
            if key == path:
                parts.append(f"`-o json` prints {shape.markdown}.\n")
            elif command_of(key) == path:
                flag = " ".join(key[len(path) :])
                parts.append(f"With `{flag}`, `-o json` prints {shape.markdown}.\n")
    return "\n".join(parts)


def updated(page: str) -> str:
    """`page` with the text between the markers replaced by `render()`."""
    try:
        head, rest = page.split(BEGIN, 1)
        _, tail = rest.split(END, 1)
    except ValueError:
        raise SystemExit(f"{DOC}: the markers {BEGIN!r} and {END!r} are missing") from None
    return f"{head}{BEGIN}\n\n{render()}\n{END}{tail}"


def main(argv: list[str] | None = None) -> int:
    """Rewrite docs/cli.md's reference, or with `--check` exit 1 if it is out of date."""
    parser = argparse.ArgumentParser(prog="python -m hatchet_cli.cli.reference")
    parser.add_argument("--check", action="store_true", help="only check; change nothing")
    args = parser.parse_args(argv)
    page = DOC.read_text(encoding="utf-8")
    fresh = updated(page)
    if args.check:
        if fresh != page:
            print(f"{DOC} is out of date: run `make docs`", file=sys.stderr)
            return 1
        return 0
    if fresh != page:
        DOC.write_text(fresh, encoding="utf-8")
        print(f"updated {DOC}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
