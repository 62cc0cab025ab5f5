"""What each view looks like, at 130 x 34, with fixed records and a fixed clock (no daemon:
`live=False`, the records are handed to the views' `show_*` methods).

Update the pictures after a deliberate change with `pytest tests/tui --snapshot-update`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from textual.pilot import Pilot

from hatchet_cli.tui.app import HatchetApp, make_tui
from hatchet_cli.tui.events_view import EventsView
from hatchet_cli.tui.link import DaemonLink
from hatchet_cli.tui.workers_view import WorkersView
from hatchet_cli.tui.workflows_view import WorkflowsView

SIZE = (130, 34)
NOW = datetime(2026, 11, 26, 2, 1, 30, tzinfo=UTC)
SnapCompare = Callable[..., bool]


def app() -> HatchetApp:
    return make_tui(DaemonLink("http://127.0.0.1:7070"), live=False, now=lambda: NOW)


def event(n: int, key: str, data: dict[str, Any], **more: Any) -> dict[str, Any]:
    return {
        "id": f"{n:08x}-0000-4000-8000-000000000000",
        "key": key,
        "data": data,
        "created_at": f"2026-11-26T02:0{n}:00Z",
        "replayed_from_id": None,
        "idempotency_key": None,
        "run_ids": [],
        "replay_ids": [],
        **more,
    }


EVENTS = [
    event(
        3,
        "user:create",
        {"user": {"firstName": "Ada", "email": "ada@example.com"}},
        replayed_from_id="00000001-0000-4000-8000-000000000000",
        run_ids=["0000000c-0000-4000-8000-000000000000"],
    ),
    event(2, "order:paid", {"order": {"id": 7, "total": 42}}),
    event(
        1,
        "user:create",
        {"user": {"firstName": "Ada", "email": "ada@example.com"}},
        run_ids=["0000000a-0000-4000-8000-000000000000"],
        replay_ids=["00000003-0000-4000-8000-000000000000"],
    ),
]

WORKFLOWS = {
    "workflows": [
        {
            "name": "post-user-sign-up",
            "active": True,
            "version": "0.2.0",
            "version_id": "v1" * 4,
            "file": "post-user-sign-up.yaml",
            "events": ["user:create"],
            "crons": [],
            "errors": [],
            "updated_at": "2026-11-26T02:00:00Z",
        },
        {
            "name": "nightly-report",
            "active": False,
            "version": None,
            "version_id": "abcdef0123",
            "file": "nightly.yaml",
            "events": [],
            "crons": ["0 3 * * *"],
            "errors": [],
            "updated_at": "2026-11-26T02:00:00Z",
        },
    ],
    "broken_files": [
        {"file": "broken.yaml", "errors": ["broken.yaml:3: jobs: expected a mapping, got a list"]}
    ],
}


def worker(name: str, status: str, running: int, heartbeat: str) -> dict[str, Any]:
    return {
        "worker": {
            "id": f"{name[:4]:0<8}-0000-4000-8000-000000000000".replace(" ", "0"),
            "name": name,
            "actions": ["sandbox:create", "newsletter:add-user"],
            "slots": 4,
            "status": status,
            "registered_at": "2026-11-26T01:00:00Z",
            "last_heartbeat_at": heartbeat,
        },
        "running_step_run_ids": [f"s{i}" for i in range(running)],
    }


WORKERS = [
    worker("laptop", "ACTIVE", 2, "2026-11-26T02:01:27Z"),
    worker("old-box", "LOST", 1, "2026-11-26T01:40:00Z"),
]


def test_the_events_view(snap_compare: SnapCompare) -> None:
    async def show(pilot: Pilot[None]) -> None:
        pilot.app.query_one(EventsView).show_events(EVENTS, next_cursor="more")
        await pilot.pause()

    assert snap_compare(app(), terminal_size=SIZE, run_before=show)


def test_the_confirmation_of_a_replay(snap_compare: SnapCompare) -> None:
    async def show(pilot: Pilot[None]) -> None:
        pilot.app.query_one(EventsView).show_events(EVENTS)
        await pilot.pause()
        await pilot.press("r")

    assert snap_compare(app(), terminal_size=SIZE, run_before=show)


def test_the_workflows_view(snap_compare: SnapCompare) -> None:
    async def show(pilot: Pilot[None]) -> None:
        await pilot.press("3")
        pilot.app.query_one(WorkflowsView).show_workflows(WORKFLOWS)
        await pilot.pause()

    assert snap_compare(app(), terminal_size=SIZE, run_before=show)


def test_the_workers_view(snap_compare: SnapCompare) -> None:
    async def show(pilot: Pilot[None]) -> None:
        await pilot.press("4")
        pilot.app.query_one(WorkersView).show_workers(WORKERS)
        await pilot.pause()

    assert snap_compare(app(), terminal_size=SIZE, run_before=show)
