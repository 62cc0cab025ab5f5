"""The composition root: settings → store → app → uvicorn, and the process's life (design §7)."""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import errno
import json
import logging
import math
import os
import select
import signal
import socket
import struct
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import FrameType

import uvicorn

from hatchetd import __version__
from hatchetd.api import create_app
from hatchetd.api.services import Services
from hatchetd.runtime import Faults
from hatchetd.runtime.faults import FaultError
from hatchetd.settings import Settings, SettingsError, parse_settings, redacted_url
from hatchetd.store import open_store
from hatchetd.store.errors import StoreError

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2
DRAIN_SECONDS = 10
KEEP_ALIVE_GRACE = 0.5
"""Seconds a drain waits for idle keep-alive connections to be used (and closed) or go."""

log = logging.getLogger("hatchetd")


class _Server(uvicorn.Server):
    """uvicorn, plus draining (design §7, `api/drain.py`).

    The first SIGTERM/SIGINT starts the drain: new requests get 503, nothing new is assigned,
    running steps finish and their results are stored. Once nothing is left in flight — or the
    drain timeout is near — uvicorn's own shutdown closes the listener and the connections and
    the app stops. A watchdog ends the process if all that has not finished by the drain
    timeout (a database that never answers, say). A second signal exits at once.
    """

    services: Services | None = None
    drain_timeout: float = DRAIN_SECONDS
    listeners: tuple[socket.socket, ...] = ()
    _loop: asyncio.AbstractEventLoop | None = None
    _draining = False

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        if self.should_exit or self._draining:
            self.force_exit = True
            self.should_exit = True
            return
        if self.services is None or self._loop is None:  # not started yet: nothing to drain
            super().handle_exit(sig, frame)
            return
        self._draining = True
        deadline = time.monotonic() + self.drain_timeout
        self.services.stop_by = deadline
        _start_watchdog(deadline)
        # From a signal handler, only the thread-safe call is safe on the loop.
        self._loop.call_soon_threadsafe(self._begin_drain, deadline)

    def _http_connections(self) -> int:
        """Open HTTP connections (upgraded WebSockets are not among them)."""
        return sum(
            type(c).__module__.startswith("uvicorn.protocols.http")
            for c in self.server_state.connections
        )

    def _begin_drain(self, deadline: float) -> None:
        assert self.services is not None
        log.info("draining: finishing running steps and requests (up to %g s)", self.drain_timeout)
        self.services.drain()
        self._drain_task = asyncio.ensure_future(self._drain(deadline))

    async def _drain(self, deadline: float) -> None:
        services = self.services
        assert services is not None
        # Keep a part of the timeout for closing connections and stopping the engine thread.
        reserve = min(2.0, self.drain_timeout / 3)
        while time.monotonic() < deadline - reserve and not services.drained:
            await asyncio.sleep(0.05)
        # A client between two requests on a keep-alive connection would find it closed under
        # its next request. Give such clients a moment to send it: they get a 503 with
        # `Connection: close` and go.
        grace = min(time.monotonic() + KEEP_ALIVE_GRACE, deadline - reserve)
        while time.monotonic() < grace and self._http_connections():
            await asyncio.sleep(0.05)
        if not services.drained:
            log.warning(
                "drain timeout: %d steps still running, %d requests in flight",
                services.runtime.held,
                services.in_flight,
            )
        # Closing a listening socket resets the connections the kernel accepted for it but the
        # daemon has not, requests and all. So first let no new connection in (SYNs dropped:
        # the client's connect retries, then finds the port closed), answer what is queued and
        # open (503 with `Connection: close`), and only then close it.
        for listener in self.listeners:
            _refuse_new_connections(listener)
        closing = min(time.monotonic() + 0.3, deadline - reserve / 2)
        while time.monotonic() < closing and (self._http_connections() or _queued(self)):
            await asyncio.sleep(0.01)
        for server in self.servers:
            server.close()
        left = deadline - time.monotonic()
        # uvicorn's hint says int, but it is handed to asyncio.timeout, which takes any seconds.
        self.config.timeout_graceful_shutdown = max(0.1, left / 2)  # type: ignore[assignment]
        self.should_exit = True

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
    try:
        faults = Faults.from_environ(os.environ)
    except FaultError as exc:
        print(f"hatchetd: {exc}", file=sys.stderr)
        return EXIT_USAGE
    prepare_state_dir(settings.state_dir)
    try:
        store = open_store(settings.database_url, exclusive=True)
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
    app = create_app(settings, store=store, faults=faults)
    server = _Server(
        uvicorn.Config(
            app,
            log_level="warning",
            access_log=False,
            lifespan="on",
            timeout_graceful_shutdown=math.ceil(settings.drain_timeout),
            ws_ping_interval=None,  # workers send heartbeats of their own
            ws_per_message_deflate=False,  # worker messages are small; zlib cost more than it saved
        )
    )
    original_startup = server.startup

    async def startup(sockets: list[socket.socket] | None = None) -> None:
        await original_startup(sockets=sockets)
        server._loop = asyncio.get_running_loop()
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
    server.drain_timeout = settings.drain_timeout
    server.listeners = (sock,)
    try:
        server.run(sockets=[sock])
    finally:
        store.close()
        remove_address_file(settings.state_dir)
    return EXIT_OK if not server.force_exit else 128 + signal.SIGTERM


_DROP_EVERYTHING = struct.pack("HBBI", 0x06, 0, 0, 0)  # classic BPF: `ret #0`
SO_ATTACH_FILTER = getattr(socket, "SO_ATTACH_FILTER", 26)


def _refuse_new_connections(listener: socket.socket) -> None:
    """Drop every new SYN to `listener` (Linux; elsewhere the listener just closes later)."""
    program = ctypes.create_string_buffer(_DROP_EVERYTHING)
    fprog = struct.pack("HL", 1, ctypes.addressof(program))
    with contextlib.suppress(OSError):
        listener.setsockopt(socket.SOL_SOCKET, SO_ATTACH_FILTER, fprog)


def _queued(server: _Server) -> bool:
    """Whether a listener has a connection waiting to be accepted (readable)."""
    return any(select.select([listener], [], [], 0)[0] for listener in server.listeners)


def _start_watchdog(deadline: float) -> None:
    """End the process if the drain has not by `deadline`."""

    def watch() -> None:
        time.sleep(max(0.0, deadline - time.monotonic()))
        print("hatchetd: the drain timeout passed; exiting now", file=sys.stderr, flush=True)
        os._exit(EXIT_ERROR)

    threading.Thread(target=watch, name="hatchetd-drain-watchdog", daemon=True).start()


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
