"""A real daemon for the CLI: the app of `hatchetd` served by uvicorn on a free port in a thread
of the test process; `hatchet --address ...` talks to it over HTTP."""

from __future__ import annotations

import asyncio
import re
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from typer.testing import CliRunner, Result

from hatchet_cli.cli.app import app
from hatchet_cli.sdk import Context, Worker
from hatchetd.api import create_app
from hatchetd.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
TIME = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})?")


@dataclass
class Hatchet:
    """Runs `hatchet ...` against the in-process daemon."""

    address: str

    def __call__(self, *args: str, stdin: str | None = None) -> Result:
        return CliRunner().invoke(app, ["--address", self.address, *args], input=stdin)


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HATCHET_ADDRESS", "HATCHET_TOKEN", "NO_COLOR"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def hatchet(tmp_path: Path) -> Iterator[Hatchet]:
    folder = tmp_path / ".hatchet"
    folder.mkdir()
    shutil.copy(ROOT / ".hatchet/post-user-sign-up.yaml", folder)
    settings = Settings(
        folder=folder,
        database_url=f"sqlite:///{tmp_path / '.hatchetd' / 'hatchet.db'}",
        host="127.0.0.1",
        port=0,
        token=None,
        heartbeat_interval=5.0,
    )
    port = free_port()
    config = uvicorn.Config(
        create_app(settings), host="127.0.0.1", port=port, log_level="warning", lifespan="on"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert thread.is_alive(), "hatchetd stopped while starting"
        assert time.monotonic() < deadline, "hatchetd did not start within 10 s"
        time.sleep(0.01)
    try:
        yield Hatchet(f"http://127.0.0.1:{port}")
    finally:
        server.should_exit = True
        thread.join(10)


def free_port() -> int:
    """A port the OS gave out and took back: nothing listens on it."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


@pytest.fixture
def closed_address() -> str:
    """An address nothing listens on."""
    return f"http://127.0.0.1:{free_port()}"


def normalise(text: str) -> str:
    """Text with ids and times replaced by stable placeholders, each id by its order of
    appearance (`<id1>`, `<id2>`, ...)."""
    seen: dict[str, str] = {}

    def name(match: re.Match[str]) -> str:
        return seen.setdefault(match.group(0), f"<id{len(seen) + 1}>")

    return TIME.sub("<time>", UUID.sub(name, text))


@pytest.fixture
def sign_up_worker(hatchet: Hatchet) -> Iterator[Worker]:
    """A real SDK worker, in a thread, serving the sign-up workflow's three actions; each logs a
    line and returns its input."""
    worker = Worker("cli-test-worker", slots=4, address=hatchet.address, shutdown_timeout=5)

    def act(input: Any, ctx: Context) -> Any:
        ctx.log(f"ran {ctx.action}")
        return input

    for action in ("sandbox:create", "postmark:email-from-template", "newsletter:add-user"):
        worker.register_action(action, act)
    thread = threading.Thread(target=lambda: asyncio.run(worker.arun()), daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while worker.worker_id is None:
        assert thread.is_alive(), "the worker stopped while connecting"
        assert time.monotonic() < deadline, "the worker did not register within 10 s"
        time.sleep(0.01)
    try:
        yield worker
    finally:
        worker.stop()
        thread.join(10)
