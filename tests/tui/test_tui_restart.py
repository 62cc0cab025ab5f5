"""The TUI survives the daemon restarting: a real `hatchetd` process is stopped while the app is
open (it shows "disconnected — retrying"), started again on the same port and database, and the
app reconnects on its own and shows what was stored meanwhile."""

from __future__ import annotations

import shutil
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from acceptance_support import Daemon, start_daemon, stop
from textual.message import Message
from textual.pilot import Pilot

from hatchet_cli.client import Client
from hatchet_cli.tui.app import HatchetApp
from hatchet_cli.tui.events_view import EventsView
from tests.live import ROOT
from tests.tui.tui_support import drive, until

pytestmark = pytest.mark.acceptance


def test_the_app_reconnects_after_the_daemon_restarts(tmp_path: Path) -> None:
    folder = tmp_path / ".hatchet"
    folder.mkdir()
    shutil.copy(ROOT / ".hatchet/post-user-sign-up.yaml", folder)
    daemons: list[Daemon] = [start_daemon(folder)]
    address = daemons[0].address
    port = urlsplit(address).port
    assert port is not None
    with Client(address) as client:
        client.events.push("before:restart", {})

    def keys(app: HatchetApp) -> list[str]:
        return [event["key"] for event in app.query_one(EventsView).events]

    async def scenario(app: HatchetApp, pilot: Pilot[None], posted: list[Message]) -> None:
        await until(pilot, lambda: app.connected and keys(app) == ["before:restart"])
        assert stop(daemons[0].process) == 0
        await until(pilot, lambda: not app.connected, "the app to notice the daemon left")
        daemons.append(start_daemon(folder, port=port))
        # Stored while the app may still be retrying: it must show after the reconnection.
        with Client(address) as client:
            client.events.push("after:restart", {})
        await until(pilot, lambda: app.connected, "the app to reconnect", timeout=20)
        await until(pilot, lambda: keys(app) == ["after:restart", "before:restart"])

    try:
        drive(address, scenario)
    finally:
        for daemon in daemons:
            stop(daemon.process)
