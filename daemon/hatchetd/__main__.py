"""`python -m hatchetd`."""

from __future__ import annotations

from hatchetd.server import run

run()
