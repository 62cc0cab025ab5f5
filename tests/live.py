"""A real daemon and a real worker inside the test process, for tests of its clients.

`serve_daemon()` runs the app of `hatchetd` with uvicorn on a free port in a thread (the real
store, engine, runtime and watcher; only the process is shared); `run_worker()` runs a real SDK
`Worker` in a thread against it. The CLI and TUI tests drive them over real sockets.
"""

from __future__ import annotations

import asyncio
import importlib.util
import shutil
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import Any

import uvicorn

from hatchet_cli.sdk import Context, Worker
from hatchetd.api import create_app
from hatchetd.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
SIGN_UP_WORKFLOW = ROOT / ".hatchet/post-user-sign-up.yaml"
"""The example workflow shipped in `.hatchet/`. Tests copy it (`copy_example`) and never read the
folder itself: a user following getting-started adds workflows of their own there."""
SIGN_UP_ACTIONS = ("sandbox:create", "postmark:email-from-template", "newsletter:add-user")


@contextmanager
def example_worker_module() -> Iterator[ModuleType]:
    """examples/worker.py, imported as `example_worker` for the duration (its actions validate
    their inputs, so a wrong payload fails its step as it would for a user)."""
    spec = importlib.util.spec_from_file_location("example_worker", ROOT / "examples/worker.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # pydantic resolves the models' annotations through it
    try:
        spec.loader.exec_module(module)
        yield module
    finally:
        del sys.modules[spec.name]


def free_port() -> int:
    """A port the OS gave out and took back: nothing listens on it."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def copy_example(folder: Path) -> Path:
    """`folder` (made if missing) holding a copy of the shipped sign-up workflow."""
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(SIGN_UP_WORKFLOW, folder)
    return folder


@contextmanager
def serve_daemon(
    directory: Path, *, workflows: Iterable[Path] = (), token: str | None = None
) -> Iterator[str]:
    """The daemon's app serving `directory/.hatchet` (with the sign-up workflow, plus
    `workflows`) from `directory/.hatchetd/hatchet.db`, asking for `token` if one is given;
    yields its address."""
    folder = copy_example(directory / ".hatchet")
    for source in workflows:
        shutil.copy(source, folder)
    settings = Settings(
        folder=folder,
        database_url=f"sqlite:///{directory / '.hatchetd' / 'hatchet.db'}",
        host="127.0.0.1",
        port=0,
        token=token,
        heartbeat_interval=5.0,
    )
    with serve(create_app(settings)) as address:
        yield address


@contextmanager
def serve(app: Any) -> Iterator[str]:
    """Serve an app of `create_app` with uvicorn on a free port in a thread; yields its
    address once it has started, and stops it after."""
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert thread.is_alive(), "hatchetd stopped while starting"
        assert time.monotonic() < deadline, "hatchetd did not start within 10 s"
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


def echo_and_log(input: Any, ctx: Context) -> Any:
    """An action that logs a line and returns its input."""
    ctx.log(f"ran {ctx.action}")
    return input


@contextmanager
def run_worker(
    address: str,
    act: Callable[[Any, Context], Any] = echo_and_log,
    *,
    actions: Iterable[str] = SIGN_UP_ACTIONS,
    name: str = "test-worker",
) -> Iterator[Worker]:
    """A real SDK worker serving `actions` with `act`, registered before this yields."""
    worker = Worker(name, slots=4, address=address, shutdown_timeout=5)
    for action in actions:
        worker.register_action(action, act)
    with serve_worker(worker):
        yield worker


@contextmanager
def serve_worker(worker: Worker) -> Iterator[Worker]:
    """Run `worker` in a thread; yields it once it has registered, stops it after."""
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
