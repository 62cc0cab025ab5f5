"""A stand-in daemon for the client's tests: a real HTTP server on a free local port that records
each request as it arrived on the wire and answers what the test sets (`daemon` fixture in
`conftest.py`)."""

from __future__ import annotations

import json
import socket
import struct
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class Seen:
    """One request as the daemon received it."""

    method: str
    path: str  # raw, as sent: quoted ids stay quoted
    query: dict[str, list[str]]
    headers: Message
    body: bytes
    connection: int  # which TCP connection it came on: 1, 2, ...
    at: float = field(default_factory=time.monotonic)  # when it had arrived whole

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Answer:
    """What the daemon answers: `json`, else the raw `body`, with `headers`; after `delay`
    seconds. `close` says `Connection: close`; `hang_up` closes the connection afterwards without
    saying so (an idle keep-alive timeout); `silent` closes it without answering at all; `reset`
    aborts it (a TCP reset)."""

    status: int = 200
    json: Any = None
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    close: bool = False
    hang_up: bool = False
    silent: bool = False
    reset: bool = False


@dataclass
class Daemon:
    """A stand-in daemon at `address`: `reply` decides each answer, `seen` lists the requests."""

    address: str = ""
    reply: Callable[[Seen], Answer] = lambda seen: Answer(200, json={})
    seen: list[Seen] = field(default_factory=list)
    connections: int = 0
    hung_up: threading.Event = field(default_factory=threading.Event)
    stopping: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)


def handler_for(daemon: Daemon) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as the real daemon
        disable_nagle_algorithm = True  # headers and body go in two writes

        def setup(self) -> None:
            super().setup()
            with daemon.lock:
                daemon.connections += 1
                self.number = daemon.connections

        def answer(self) -> None:
            target = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            seen = Seen(
                self.command,
                target.path,
                parse_qs(target.query),
                self.headers,
                self.rfile.read(length),
                self.number,
            )
            daemon.seen.append(seen)
            answer = daemon.reply(seen)
            daemon.stopping.wait(answer.delay)
            if answer.silent:
                self.close_connection = True
                return
            if answer.reset:
                # Linger 0: closing sends RST instead of FIN, as a crashed or rebooted peer does.
                self.connection.setsockopt(
                    socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
                )
                self.connection.close()
                self.close_connection = True
                return
            body = answer.body if answer.json is None else json.dumps(answer.json).encode()
            self.send_response(answer.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            for name, value in answer.headers.items():
                self.send_header(name, value)
            if answer.close:
                self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(body)
            self.close_connection = answer.close or answer.hang_up

        do_GET = do_POST = do_PUT = do_DELETE = answer

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


class Server(ThreadingHTTPServer):
    daemon: Daemon

    def shutdown_request(self, request: Any) -> None:
        super().shutdown_request(request)
        self.daemon.hung_up.set()

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that gave up (the timeout test) is not the server's failure


@contextmanager
def serving() -> Iterator[Daemon]:
    """Run a stand-in daemon in a thread until the block ends."""
    state = Daemon()
    server = Server(("127.0.0.1", 0), handler_for(state))
    server.daemon = state
    state.address = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    try:
        yield state
    finally:
        state.stopping.set()
        server.shutdown()
        server.server_close()
        thread.join()
