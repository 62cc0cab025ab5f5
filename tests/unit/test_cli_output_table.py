"""Tables on a terminal: cells are text, never Rich markup, and keep their own colours."""

from __future__ import annotations

import io
import sys

import pytest

from hatchet_cli.cli import output


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_cell_with_brackets_is_printed_as_written(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    terminal = FakeTerminal()
    monkeypatch.setattr(sys, "stdout", terminal)
    monkeypatch.setenv("COLUMNS", "120")
    red = output.style("FAILED", fg="red")
    output.print_table(["DATA", "STATUS"], [['{"flags":[true],"k":"[bold]x[/bold]"}', red]])
    printed = terminal.getvalue()
    assert '{"flags":[true],"k":"[bold]x[/bold]"}' in printed
    assert "\x1b[31mFAILED" in printed  # the style() colour survives the table


def test_without_a_terminal_the_table_is_aligned_plain_text(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    plain = io.StringIO()
    monkeypatch.setattr(sys, "stdout", plain)
    output.print_table(["A", "LONGER"], [["[x]", "1"], ["yy", "22"]])
    assert plain.getvalue() == "A    LONGER\n[x]  1\nyy   22\n"
