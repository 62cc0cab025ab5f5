"""Helpers of the TUI tests: `drive()` runs the real app under a Pilot against an address and
records every message its widgets post; `until()` waits for the app to get somewhere."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from textual.message import Message
from textual.pilot import Pilot
from textual.widget import Widget

from hatchet_cli.client import Client
from hatchet_cli.tui.app import HatchetApp, make_tui
from hatchet_cli.tui.link import DaemonLink

SIGN_UP_KEY = "user:create"
USER = {"user": {"firstName": "Ada", "email": "ada@example.com"}}


class Daemon:
    """The in-process daemon: its address, its folder, and a client to seed it."""

    def __init__(self, address: str, folder: Path) -> None:
        self.address = address
        self.folder = folder
        self.client = Client(address)


Scenario = Callable[[HatchetApp, Pilot[None], list[Message]], Awaitable[None]]


def drive(address: str, scenario: Scenario, *, size: tuple[int, int] = (140, 40)) -> list[Message]:
    """Run the real app on `address` under a Pilot; the messages its widgets posted."""
    app = make_tui(DaemonLink(address, timeout=5.0))
    posted: list[Message] = []
    seen: set[int] = set()

    def record(message: Message) -> None:  # a bubbling message is seen at every hop: once here
        if id(message) not in seen:
            seen.add(id(message))
            posted.append(message)

    async def main() -> None:
        async with app.run_test(size=size, message_hook=record) as pilot:
            # As a person would: keys once the app has drawn and focused its first view.
            await until(pilot, lambda: app.focused is not None, "the app to focus its view")
            await scenario(app, pilot, posted)

    asyncio.run(main())
    return posted


async def until(
    pilot: Pilot[Any], check: Callable[[], Any], what: str = "", *, timeout: float = 15.0
) -> Any:
    """Wait (letting the app run) until `check()` is truthy; its value."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        assert time.monotonic() < deadline, f"timed out waiting for {what or check}"
        await pilot.pause(0.05)


async def focus(pilot: Pilot[Any], widget: Widget, timeout: float = 15.0) -> None:
    """Focus `widget` and wait until it has the focus, asking again while the app moves the
    focus elsewhere (as it does once after showing a view): the keys pressed next go to it."""
    deadline = time.monotonic() + timeout
    while not widget.has_focus:
        assert time.monotonic() < deadline, f"{widget!r} did not take the focus"
        widget.focus()
        await pilot.pause(0.05)
