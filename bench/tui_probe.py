"""Time `hatchet tui` to its first paint: the real app, headless, under Textual's test driver."""

from __future__ import annotations

import asyncio
import time

from hatchet_cli.tui.app import make_tui
from hatchet_cli.tui.events_view import EventsView
from hatchet_cli.tui.link import DaemonLink


def first_paint(address: str, *, timeout: float = 30.0) -> float:
    """Seconds from starting the app until its events view shows rows."""

    async def measure() -> float:
        started = time.perf_counter()
        app = make_tui(DaemonLink(address))
        async with app.run_test(size=(140, 40)) as pilot:
            view = app.query_one(EventsView)
            deadline = started + timeout
            while not view.events:
                if time.perf_counter() > deadline:
                    raise TimeoutError(f"no events shown within {timeout} s")
                await pilot.pause(0.005)
            await pilot.pause()  # the frame with the rows
            return time.perf_counter() - started

    return asyncio.run(measure())
