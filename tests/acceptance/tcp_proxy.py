"""A TCP proxy a test starts in front of PostgreSQL, to cut the daemon off its database.

`cut()` resets every connection through it and refuses new ones (as when the database host
restarts or a network path drops); `stall()` keeps connections open but passes no byte either
way (a frozen network); `mute()` passes what the client sends but drops every answer (the
server acts, the client never hears: a commit whose reply is lost); `restore()` lets traffic
through again. One thread, `selectors`. Each of them returns once the proxy's thread has taken
the new mode up, so a byte the caller sends afterwards is treated under it (a test that cuts at
the moment of a COMMIT relies on that).
"""

from __future__ import annotations

import contextlib
import selectors
import socket
import struct
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit, urlunsplit

_CHUNK = 64 * 1024


class TcpProxy:
    """Forwards 127.0.0.1:`port` to (`host`, `target_port`) until closed."""

    def __init__(self, host: str, target_port: int) -> None:
        self._target = (host, target_port)
        self._listener = socket.socket()
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(128)
        self._listener.setblocking(False)
        self.port: int = self._listener.getsockname()[1]
        self._selector = selectors.DefaultSelector()
        self._selector.register(self._listener, selectors.EVENT_READ, None)
        self._peers: dict[socket.socket, socket.socket] = {}
        self._upstreams: set[socket.socket] = set()
        self._mode = "open"
        self._lock = threading.Condition()
        self._asked = 0  # mode changes asked for, and taken up by the thread
        self._applied = 0
        self._closed = False
        self.accepted = 0
        """Connections accepted while open (the daemon's reconnects show here)."""
        self._wake_r, self._wake_w = socket.socketpair()
        self._selector.register(self._wake_r, selectors.EVENT_READ, "wake")
        self._thread = threading.Thread(target=self._serve, name="tcp-proxy", daemon=True)
        self._thread.start()

    def url_for(self, url: str) -> str:
        """`url` (a database URL) with its host and port replaced by this proxy's."""
        parts = urlsplit(url)
        user = parts.netloc.rsplit("@", 1)
        host = f"127.0.0.1:{self.port}"
        return urlunsplit(parts._replace(netloc=f"{user[0]}@{host}" if len(user) == 2 else host))

    def cut(self) -> None:
        """Reset every open connection and refuse new ones until `restore()`."""
        self._set("cut")

    def stall(self) -> None:
        """Keep connections open but forward nothing until `restore()`."""
        self._set("stall")

    def mute(self) -> None:
        """Forward the client's bytes to the server but drop the server's replies."""
        self._set("mute")

    def restore(self) -> None:
        """Forward traffic again."""
        self._set("open")

    def close(self) -> None:
        self._closed = True
        self._wake_w.send(b"x")
        self._thread.join(timeout=5)
        for sock in [*self._peers, self._listener, self._wake_r, self._wake_w]:
            sock.close()

    def _set(self, mode: str) -> None:
        with self._lock:
            self._mode = mode
            self._asked += 1
            asked = self._asked
        self._wake_w.send(b"x")
        with self._lock:
            if not self._lock.wait_for(lambda: self._applied >= asked, timeout=5):
                raise RuntimeError(f"the proxy's thread did not take up {mode!r}")

    def _serve(self) -> None:
        watching = True  # whether the peers' sockets are in the selector
        while not self._closed:
            with self._lock:
                mode = self._mode
                asked = self._asked
            if mode == "cut" and self._peers:
                for sock in list(self._peers):
                    self._drop(sock)
            # A stalled connection is not read at all, so its bytes wait in the kernel (and
            # the selector does not spin on them); new connections wait in the backlog.
            if watching != (mode != "stall"):
                watching = mode != "stall"
                for sock in [self._listener, *self._peers]:
                    if watching:
                        data = None if sock is self._listener else "peer"
                        self._selector.register(sock, selectors.EVENT_READ, data)
                    else:
                        self._selector.unregister(sock)
            with self._lock:
                self._applied = asked
                self._lock.notify_all()
            for key, _ in self._selector.select(timeout=0.5):
                if key.data == "wake":
                    key.fileobj.recv(64)  # type: ignore[union-attr]
                elif key.fileobj is self._listener:
                    self._accept(mode)
                elif mode in ("open", "mute"):
                    self._forward(key.fileobj, mute=mode == "mute")  # type: ignore[arg-type]

    def _accept(self, mode: str) -> None:
        try:
            client, _ = self._listener.accept()
        except BlockingIOError:
            return
        if mode == "cut":
            _reset(client)
            return
        try:
            upstream = socket.create_connection(self._target, timeout=5)
        except OSError:
            _reset(client)
            return
        self.accepted += 1
        for sock in (client, upstream):
            sock.setblocking(False)
            self._selector.register(sock, selectors.EVENT_READ, "peer")
        self._peers[client] = upstream
        self._peers[upstream] = client
        self._upstreams.add(upstream)

    def _forward(self, sock: socket.socket, *, mute: bool = False) -> None:
        peer = self._peers.get(sock)
        if peer is None:
            return
        try:
            data = sock.recv(_CHUNK)
            if data and mute and sock in self._upstreams:
                return  # the reply is lost on the way
            if data:
                peer.setblocking(True)
                peer.sendall(data)
                peer.setblocking(False)
                return
        except OSError:
            pass
        self._drop(sock)

    def _drop(self, sock: socket.socket) -> None:
        peer = self._peers.pop(sock, None)
        for s in (sock, peer):
            if s is None:
                continue
            self._peers.pop(s, None)
            self._upstreams.discard(s)
            with contextlib.suppress(KeyError, ValueError):
                self._selector.unregister(s)
            _reset(s)


def _reset(sock: socket.socket) -> None:
    """Close with RST rather than FIN, as a dropped path or a restarted host does."""
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


@contextmanager
def proxy_to(url: str) -> Iterator[TcpProxy]:
    """A proxy to the server of a database URL, for the test's duration."""
    parts = urlsplit(url)
    proxy = TcpProxy(parts.hostname or "127.0.0.1", parts.port or 5432)
    try:
        yield proxy
    finally:
        proxy.close()
