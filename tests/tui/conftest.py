"""The TUI against a real daemon: the app of `hatchetd` served by uvicorn in a thread of the test
process (with the sign-up workflow), and a real SDK worker serving its actions."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from hatchet_cli.sdk import Worker
from tests.live import free_port, run_worker, serve_daemon
from tests.tui.tui_support import Daemon


@pytest.fixture
def daemon(tmp_path: Path) -> Iterator[Daemon]:
    with serve_daemon(tmp_path) as address:
        running = Daemon(address, tmp_path / ".hatchet")
        try:
            yield running
        finally:
            running.client.close()


@pytest.fixture
def worker(daemon: Daemon) -> Iterator[Worker]:
    """A real SDK worker serving the sign-up workflow's three actions."""
    with run_worker(daemon.address, name="tui-test-worker") as sdk_worker:
        yield sdk_worker


@pytest.fixture
def closed_address() -> str:
    """An address nothing listens on."""
    return f"http://127.0.0.1:{free_port()}"


@pytest.fixture
def anyio_backend() -> str:
    """The async tests (`pytest.mark.anyio`) run on asyncio, as Textual does."""
    return "asyncio"


@pytest.fixture
def address(tmp_path: Path) -> Iterator[str]:
    """The in-process daemon's address, for tests that build their own app around it."""
    with serve_daemon(tmp_path) as served:
        yield served
