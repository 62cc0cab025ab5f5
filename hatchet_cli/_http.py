"""The one place that speaks HTTP: JSON requests to the daemon over one keep-alive connection, and
the two errors a caller sees (`hatchet_cli.client` re-exports them).

The standard library's `http.client` is enough for JSON requests to one daemon and imports in about
10 ms; httpx took ~45 ms, which every `hatchet` command that talks to the daemon paid at start-up.
"""

from __future__ import annotations

import contextlib
import json as jsonlib
import socket
from collections.abc import Iterator
from http import HTTPStatus
from http.client import HTTPConnection, HTTPException, HTTPSConnection
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

from hatchet_cli import __version__

# The characters a request target keeps as they are: RFC 3986's path characters, `?` (a path may
# carry a query), and `%` so that the ids callers quoted stay quoted; anything else (a space, `é`)
# is percent-encoded, as httpx did.
_TARGET_SAFE = "/?@!$&'()*+,;=:%~"


class HatchetError(Exception):
    """The daemon answered a request with an error.

    `status` is the HTTP status, `code` and `message` come from the daemon's JSON error body
    (`{"error": {"code": ..., "message": ...}}`).
    """

    def __init__(self, status: int, code: str, message: str) -> None:
        self.status = status
        self.code = code
        self.message = message
        super().__init__(f"{message} ({code}, HTTP {status})")

    @classmethod
    def from_response(cls, status: int, body: bytes, reason: str = "") -> HatchetError:
        """The error an answer with this status, body and reason phrase describes; a body that
        is not the daemon's JSON error (a proxy's page, say) is summarised."""
        try:
            error = jsonlib.loads(body)["error"]
            return cls(status, str(error["code"]), str(error["message"]))
        except (ValueError, KeyError, TypeError):
            text = " ".join(body.decode("utf-8", "replace").split())[:200] or reason
            return cls(status, f"http_{status}", text)


class DaemonUnreachable(Exception):
    """The daemon could not be reached at its address: it is not running, or not there."""

    def __init__(self, address: str, reason: str) -> None:
        self.address = address
        self.reason = reason
        super().__init__(
            f"cannot reach the hatchet daemon at {address} ({reason}); start it with `hatchetd`, "
            "or point HATCHET_ADDRESS at it"
        )


class ChangesLost(Exception):
    """A change stream's reader fell so far behind that the daemon cut it off."""

    def __init__(self, address: str) -> None:
        self.address = address
        super().__init__(f"the change stream of {address} cut this reader off: it fell behind")


class Transport:
    """JSON requests to the daemon at `address` (`http://` or `https://`, maybe with a path
    prefix), each bounded by `timeout` seconds. One thread at a time."""

    def __init__(self, address: str, *, token: str | None, timeout: float) -> None:
        self.address = address
        parts = urlsplit(address)
        self.scheme = parts.scheme
        self.prefix = parts.path.rstrip("/")
        self.timeout = timeout
        self.headers = {"Accept": "application/json", "User-Agent": f"hatchet-cli/{__version__}"}
        if token:
            self.headers["Authorization"] = f"Bearer {token}"
        connection_class = HTTPSConnection if parts.scheme == "https" else HTTPConnection
        # Constructing it opens nothing: it connects at the first request, and again after the
        # server closed the connection (a `Connection: close` answer, an error).
        self.connection = connection_class(parts.hostname or "", parts.port, timeout=timeout)
        self.streams: set[HTTPConnection] = set()
        """Open change streams, which `close()` ends even while another thread reads them."""

    def close(self) -> None:
        self.connection.close()
        streams, self.streams = list(self.streams), set()
        for stream in streams:
            if stream.sock is not None:
                # shutdown, not just close: it wakes a thread blocked reading the socket.
                with contextlib.suppress(OSError):
                    stream.sock.shutdown(socket.SHUT_RDWR)
            stream.close()

    def request(
        self, method: str, path: str, *, json: Any = None, params: dict[str, Any] | None = None
    ) -> Any:
        """Send one request (`path` is below the address's own path); the decoded JSON of a
        successful answer, else `HatchetError` or `DaemonUnreachable`."""
        if self.scheme not in ("http", "https"):
            reason = f"Request URL has an unsupported protocol '{self.scheme}://'."
            raise DaemonUnreachable(self.address, reason)
        target = quote(self.prefix + path, safe=_TARGET_SAFE)
        query = {name: _param(value) for name, value in (params or {}).items() if value is not None}
        if query:
            target += ("&" if "?" in target else "?") + urlencode(query, doseq=True)
        headers = dict(self.headers)
        body = None
        if json is not None:
            body = jsonlib.dumps(json, separators=(",", ":"), ensure_ascii=False).encode()
            headers["Content-Type"] = "application/json"
        try:
            status, reason, answer = self._send(method, target, body, headers)
        except TimeoutError:
            raise DaemonUnreachable(self.address, f"no answer within {self.timeout} s") from None
        except (OSError, HTTPException) as exc:  # refused, reset, no such host, a garbled answer
            raise DaemonUnreachable(self.address, str(exc) or type(exc).__name__) from None
        if status >= 400:
            raise HatchetError.from_response(status, answer, reason or _phrase(status))
        return jsonlib.loads(answer)

    def _send(
        self, method: str, target: str, body: bytes | None, headers: dict[str, str]
    ) -> tuple[int, str, bytes]:
        reused = self.connection.sock is not None
        try:
            return self._exchange(method, target, body, headers)
        except (ConnectionResetError, BrokenPipeError):  # RemoteDisconnected is a reset too
            if not reused:
                raise
        # The server closed the connection while it sat idle between two requests (its
        # keep-alive timeout), which shows only when the next request is sent on it: send that
        # once more, on a fresh connection. Other errors, or this one on a fresh connection, are
        # real failures.
        return self._exchange(method, target, body, headers)

    def _exchange(
        self, method: str, target: str, body: bytes | None, headers: dict[str, str]
    ) -> tuple[int, str, bytes]:
        try:
            self.connection.request(method, target, body=body, headers=headers)
            response = self.connection.getresponse()
            return response.status, response.reason, response.read()
        except BaseException:
            # Half a request or answer went by: the next request starts on a fresh connection
            # (after a timeout, the late answer would otherwise be read as the next one's).
            self.connection.close()
            raise


def stream_events(
    transport: Transport, path: str, params: dict[str, Any] | None = None, *, idle: float = 30.0
) -> Iterator[tuple[str, str]]:
    """Read a Server-Sent Events stream: ("open", "") once the server accepted it, then (event
    name, data) for each event, until the server ends it. Uses a connection of its own, which
    `transport.close()` also closes; `idle` seconds without a byte (the daemon sends a comment
    every 10) mean the daemon is gone: `DaemonUnreachable`."""
    parts = urlsplit(transport.address)
    connection_class = HTTPSConnection if parts.scheme == "https" else HTTPConnection
    connection = connection_class(parts.hostname or "", parts.port, timeout=idle)
    transport.streams.add(connection)
    target = quote(transport.prefix + path, safe=_TARGET_SAFE)
    query = {name: _param(value) for name, value in (params or {}).items() if value is not None}
    if query:
        target += "?" + urlencode(query, doseq=True)
    headers = {**transport.headers, "Accept": "text/event-stream"}
    try:
        connection.request("GET", target, headers=headers)
        response = connection.getresponse()
        if response.status >= 400:
            body = response.read()
            raise HatchetError.from_response(status=response.status, body=body)
        yield "open", ""  # subscribed: what is committed from now on will come
        name, data = "message", list[str]()
        while line := response.readline():
            text = line.decode().rstrip("\r\n")
            if not text:  # a blank line ends an event
                if data:
                    yield name, "\n".join(data)
                name, data = "message", []
            elif text.startswith("event:"):
                name = text[6:].strip()
            elif text.startswith("data:"):
                data.append(text[5:].lstrip())
    except Exception as exc:
        if connection not in transport.streams:
            # `close()` ended it from another thread, mid-read: whatever http.client raised
            # then (a short chunk, a vanished file) is the end of the stream, not a failure.
            return
        if isinstance(exc, TimeoutError):
            raise DaemonUnreachable(transport.address, f"silent for {idle} s") from None
        if isinstance(exc, OSError | HTTPException):
            raise DaemonUnreachable(transport.address, str(exc) or type(exc).__name__) from None
        raise
    finally:
        transport.streams.discard(connection)
        connection.close()


def _param(value: Any) -> Any:
    """A query parameter's value as the API reads it: booleans are `true` / `false` (as JSON and
    httpx write them), lists element by element."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return [_param(item) for item in value]
    return value


def _phrase(status: int) -> str:
    """The standard reason phrase of a status, for a server that sent none."""
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""
