"""The composition root: settings → store → app → uvicorn, and the process's life (design §7)."""

from __future__ import annotations

import contextlib
import errno
import json
import logging
import os
import signal
import socket
import sys
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import FrameType

import uvicorn

from hatchetd import __version__
from hatchetd.api import create_app
from hatchetd.api.services import Services
from hatchetd.settings import Settings, SettingsError, parse_settings, redacted_url
from hatchetd.store import open_store
from hatchetd.store.errors import StoreError

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2
DRAIN_SECONDS = 10

log = logging.getLogger("hatchetd")


class _Server(uvicorn.Server):
    """uvicorn, plus draining: the first SIGTERM/SIGINT makes new pushes get 503 while
    in-flight requests finish; a second signal exits at once."""

    services: Services | None = None

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        if self.should_exit:
            self.force_exit = True
            return
        if self.services is not None:
            self.services.drain()
        super().handle_exit(sig, frame)

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        # uvicorn re-raises the signal after a graceful shutdown, so the process would die of
        # SIGTERM; a drained daemon exits 0 (design §7), so only install and restore handlers.
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        handled = (signal.SIGINT, signal.SIGTERM)
        original = {sig: signal.signal(sig, self.handle_exit) for sig in handled}
        try:
            yield
        finally:
            for sig, handler in original.items():
                signal.signal(sig, handler)


def main(argv: Sequence[str] | None = None) -> int:
    """Run hatchetd until it is signalled; the return value is the exit status."""
    logging.basicConfig(
        level=os.environ.get("HATCHET_LOG_LEVEL", "INFO").upper(),
        format="%(asctime)s %(levelname)-7s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    try:
        settings = parse_settings(sys.argv[1:] if argv is None else argv, os.environ)
    except SettingsError as exc:
        print(f"hatchetd: {exc}", file=sys.stderr)
        return EXIT_USAGE
    prepare_state_dir(settings.state_dir)
    try:
        store = open_store(settings.database_url)
    except StoreError as exc:
        print(f"hatchetd: {exc}", file=sys.stderr)
        return EXIT_ERROR
    try:
        sock = bind(settings.host, settings.port)
    except OSError as exc:
        store.close()
        print(f"hatchetd: {describe_bind_error(settings, exc)}", file=sys.stderr)
        return EXIT_ERROR
    host, port = sock.getsockname()[:2]
    address = f"http://{_url_host(host)}:{port}"
    app = create_app(settings, store=store)
    server = _Server(
        uvicorn.Config(
            app,
            log_level="warning",
            access_log=False,
            lifespan="on",
            timeout_graceful_shutdown=DRAIN_SECONDS,
            ws_ping_interval=None,  # workers send heartbeats of their own
            ws_per_message_deflate=False,  # worker messages are small; zlib cost more than it saved
        )
    )
    original_startup = server.startup

    async def startup(sockets: list[socket.socket] | None = None) -> None:
        await original_startup(sockets=sockets)
        services: Services = app.state.services
        services.address = address
        server.services = services
        write_address_file(settings.state_dir, address)
        loaded = len(services.reload.active) if services.reload else 0
        store_url = redacted_url(settings.database_url)
        plural = "s" if loaded != 1 else ""
        print(
            f"hatchetd {__version__} ready on {address} · store {store_url}"
            f" · watching {settings.folder} ({loaded} workflow{plural})",
            flush=True,
        )

    server.startup = startup  # type: ignore[method-assign]
    try:
        server.run(sockets=[sock])
    finally:
        store.close()
        remove_address_file(settings.state_dir)
    return EXIT_OK if not server.force_exit else 128 + signal.SIGTERM


def prepare_state_dir(state_dir: Path) -> None:
    """Create `.hatchetd/` with a `.gitignore` so its database never lands in a commit."""
    state_dir.mkdir(parents=True, exist_ok=True)
    ignore = state_dir / ".gitignore"
    if not ignore.exists():
        ignore.write_text("# hatchetd's local state: database, address file\n*\n")


def bind(host: str, port: int) -> socket.socket:
    """Bind the listening socket ourselves, so a taken port is a clear message, not a trace."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP, not 0: asyncio sets TCP_NODELAY only on sockets it knows are TCP, and without
    # it a response's body waits ~40 ms for the client's delayed ack (measured in bench/).
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


def describe_bind_error(settings: Settings, exc: OSError) -> str:
    if exc.errno == errno.EADDRINUSE:
        return (
            f"port {settings.port} on {settings.host} is already in use — is another hatchetd "
            f"running? Stop it, or pass --port (or HATCHET_PORT) to use another port"
        )
    if exc.errno == errno.EADDRNOTAVAIL:
        return f"cannot listen on {settings.host}: no such address on this machine"
    return f"cannot listen on {settings.host}:{settings.port}: {exc.strerror or exc}"


def write_address_file(state_dir: Path, address: str) -> None:
    """`.hatchetd/daemon.json` tells the CLI where this folder's daemon listens."""
    (state_dir / "daemon.json").write_text(
        json.dumps({"pid": os.getpid(), "address": address, "version": __version__}) + "\n"
    )


def remove_address_file(state_dir: Path) -> None:
    (state_dir / "daemon.json").unlink(missing_ok=True)


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def run() -> None:
    """Console-script entry point."""
    sys.exit(main())


if __name__ == "__main__":
    run()
