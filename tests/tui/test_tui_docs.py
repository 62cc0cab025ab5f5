"""docs/tui.md shows the real screens: its pictures are the snapshot tests' SVGs, unchanged."""

from __future__ import annotations

import re

from tests.live import ROOT

DOC = ROOT / "docs" / "tui.md"
SNAPSHOTS = ROOT / "tests" / "tui" / "__snapshots__"


def test_every_picture_is_a_current_snapshot() -> None:
    pictures = re.findall(r"!\[[^\]]*\]\(tui/([^)]+\.svg)\)", DOC.read_text(encoding="utf-8"))
    assert len(pictures) >= 5
    snapshots = {path.name: path for path in SNAPSHOTS.glob("*/*.svg")}
    for name in pictures:
        assert name in snapshots, f"{name}: no such snapshot"
        shown = (DOC.parent / "tui" / name).read_bytes()
        assert shown == snapshots[name].read_bytes(), f"docs/tui/{name} is stale: run make docs"
