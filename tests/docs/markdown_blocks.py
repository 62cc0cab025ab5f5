"""The fenced code blocks of a markdown page, with where they are and what the page says of them.

A block preceded by `<!-- not-run: WHY -->` (blank lines between allowed) is one the page says
cannot run as it stands; the docs tests then check it less (a Python block still compiles) and
report WHY instead of skipping it silently.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

FENCE = re.compile(r"^(?P<indent>\s*)```(?P<lang>[\w-]*)\s*$")
NOT_RUN = re.compile(r"^\s*<!--\s*not-run:\s*(?P<why>.+?)\s*-->\s*$")


@dataclass(frozen=True)
class Block:
    """One fenced block: its page, the line of its opening fence, language and text."""

    path: Path
    line: int
    lang: str
    text: str
    not_run: str | None
    """Why the page says the block cannot run, or None."""

    @property
    def where(self) -> str:
        return f"{self.path.name}:{self.line}"


def blocks(path: Path) -> list[Block]:
    """Every fenced block of the page, in order; an indented block (in a list) is dedented."""
    lines = path.read_text(encoding="utf-8").splitlines()
    found: list[Block] = []
    index = 0
    while index < len(lines):
        opening = FENCE.match(lines[index])
        if opening is None:
            index += 1
            continue
        indent = len(opening["indent"])
        end = index + 1
        while end < len(lines) and lines[end].strip() != "```":
            end += 1
        body = "\n".join(line[indent:] for line in lines[index + 1 : end])
        found.append(Block(path, index + 1, opening["lang"], body + "\n", _not_run(lines, index)))
        index = end + 1
    return found


def _not_run(lines: list[str], fence: int) -> str | None:
    before = fence - 1
    while before >= 0 and not lines[before].strip():
        before -= 1
    marker = NOT_RUN.match(lines[before]) if before >= 0 else None
    return marker["why"] if marker else None
