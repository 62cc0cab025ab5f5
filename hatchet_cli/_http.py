"""The one place that sends requests: JSON requests to the daemon over one keep-alive connection,
retried within a bound when asked to (pushes: `_retry.py`), and the errors a caller sees
(`hatchet_cli.client` re-exports them). The change stream is read in `_changes.py`, on
connections of its own that the `Transport` keeps track of.

The standard library's `http.client` is enough for JSON requests to one daemon and imports in about
10 ms; httpx took ~45 ms, which every `hatchet` command that talks to the daemon paid at start-up.
"""

from __future__ import annotations

import contextlib
import json as jsonlib
import socket
import time
from http import HTTPStatus
from http.client import HTTPConnection, HTTPException, HTTPSConnection
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

from hatchet_cli import __version__
from hatchet_cli._retry import Retrying, retry_after_seconds

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
    def from_response(
        cls, status: int, body: bytes, reason: str = "", *, address: str = ""
    ) -> HatchetError:
        """The error an answer with this status, body and reason phrase describes; a body that
        is not the daemon's JSON error is summarised, and an HTML page (another web server at
        the address, a proxy's page) is named as such rather than dumped."""
        try:
            error = jsonlib.loads(body)["error"]
            return cls(status, str(error["code"]), str(error["message"]))
        except (ValueError, KeyError, TypeError):
            if _looks_like_html(body):
                return NotHatchetd(status, address, f"an HTML page, HTTP {status} {reason}".strip())
            text = " ".join(body.decode("utf-8", "replace").split())[:200] or reason
            return cls(status, f"http_{status}", text)


class NotHatchetd(HatchetError):
    """What answered at the address is not hatchetd: a web page, or a success that is not JSON."""

    def __init__(self, status: int, address: str, got: str) -> None:
        where = f"{address}: " if address else ""
        super().__init__(status, "not_hatchetd", f"{where}not a hatchetd (got {got})")


def not_json(status: int, body: bytes, address: str) -> NotHatchetd:
    """The error for a success whose body is not JSON: whatever answered is not hatchetd."""
    kind = "an HTML page" if _looks_like_html(body) else "an answer that is not JSON"
    return NotHatchetd(status, address, f"{kind}, HTTP {status}")


def _looks_like_html(body: bytes) -> bool:
    start = body[:512].lstrip().lower()
    return start.startswith((b"<!doctype html", b"<html", b"<head", b"<body", b"<!--", b"<?xml"))


class DaemonUnreachable(Exception):
    """The daemon could not be reached at its address: it is not running, or not there."""

    def __init__(self, address: str, reason: str) -> None:
        self.address = address
        self.reason = reason
        super().__init__(
            f"cannot reach the hatchet daemon at {address} ({reason}); start it with `hatchetd`, "
            "or point HATCHET_ADDRESS at it"
        )


_SEND_AGAIN = {
    "push": "the event may have been stored: push it again with idempotency key {key} to store "
    "it once",
    "start": "the run may have been started: start it again with idempotency key {key} to start "
    "it once",
    "rerun": "the rerun may have been started: rerun again with idempotency key {key} to start "
    "it once",
}


class DaemonNotAnswering(DaemonUnreachable):
    """The daemon took the connection, but no answer came in time: it is stopped, stalled or
    overloaded, or the connection broke each time. Unlike a refused connection, the request may
    have reached it: a push may have been stored, a run started. `seconds` is how long the
    client waited (the retry bound); `idempotency_key` is the request's key, to send it again
    with."""

    def __init__(
        self,
        address: str,
        seconds: float,
        reason: str,
        idempotency_key: str | None = None,
        *,
        request: str = "push",
    ) -> None:
        self.address = address
        self.seconds = seconds
        self.reason = reason
        self.idempotency_key = idempotency_key
        message = f"the hatchet daemon at {address} did not answer within {seconds:g} s ({reason})"
        if idempotency_key is not None:
            message += "; " + _SEND_AGAIN[request].format(key=idempotency_key)
        Exception.__init__(self, message)

    def with_key(self, idempotency_key: str, *, request: str = "push") -> DaemonNotAnswering:
        """The same error, naming the key of the request that got no answer: a `push` (of an
        event), a `start` (of a run by hand) or a `rerun`."""
        return DaemonNotAnswering(
            self.address, self.seconds, self.reason, idempotency_key, request=request
        )


class _NotConnected(Exception):
    """No connection could be made: nothing was sent."""

    def __init__(self, cause: BaseException) -> None:
        self.cause = cause


class _NoAnswer(Exception):
    """The connection was made, but no whole answer came back: the request may have been read."""

    def __init__(self, cause: BaseException) -> None:
        self.cause = cause


def _reason(exc: BaseException) -> str:
    return str(exc) or type(exc).__name__


def _why(last: HatchetError | _NotConnected | _NoAnswer) -> str:
    """Why an attempt is to be retried, for the log and the final error."""
    if isinstance(last, HatchetError):
        return f"the daemon answered {last.status} {last.code}"
    if isinstance(last.cause, TimeoutError):
        return "timed out"
    return _reason(last.cause)


def _note_retry(method: str, target: str, why: str, delay: float) -> None:
    # Imported here, on this rare path only: `hatchet` starts without the logging package.
    import logging

    logging.getLogger("hatchet_cli.client").info(
        "%s %s: %s; sending it again in %.2f s",
        method,
        target,
        why,
        delay,
    )


class Transport:
    """JSON requests to the daemon at `address` (`http://` or `https://`, maybe with a path
    prefix), each bounded by `timeout` seconds. One thread at a time."""

    def __init__(self, address: str, *, token: str | None, timeout: float) -> None:
        self.address = address
        parts = urlsplit(address)
        self.scheme = parts.scheme
        self.prefix = parts.path.rstrip("/")
        self.timeout = timeout
        self.headers = request_headers(token)
        connection_class = HTTPSConnection if parts.scheme == "https" else HTTPConnection
        # Constructing it opens nothing: it connects at the first request, and again after the
        # server closed the connection (a `Connection: close` answer, an error).
        self.connection = connection_class(parts.hostname or "", parts.port, timeout=timeout)
        self.streams: set[HTTPConnection] = set()
        """Open change streams (`_changes.py`), which `close()` ends even while another thread
        reads them."""

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
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: dict[str, Any] | None = None,
        retry_for: float | None = None,
        hold: float = 0.0,
    ) -> Any:
        """Send one request (`path` is below the address's own path); the decoded JSON of a
        successful answer, else `HatchetError`, `DaemonUnreachable` or `DaemonNotAnswering`.
        `hold` is how long the daemon may hold the request on purpose (a wait), on top of the
        client's `timeout`.

        With `retry_for`, the request is sent again — only for requests that are safe to repeat
        — after a 503, a timeout or a broken connection, until `retry_for` seconds have passed
        (see `_retry.py`). A connection refused before any attempt got through is not retried:
        the daemon is not running, and nothing was sent."""
        if self.scheme not in ("http", "https"):
            reason = f"Request URL has an unsupported protocol '{self.scheme}://'."
            raise DaemonUnreachable(self.address, reason)
        target = self.target(path, params)
        headers = dict(self.headers)
        body = None
        if json is not None:
            body = jsonlib.dumps(json, separators=(",", ":"), ensure_ascii=False).encode()
            headers["Content-Type"] = "application/json"
        if retry_for is None:
            timeout = self.timeout + hold
            try:
                status, reason, _, answer = self._send(method, target, body, headers, timeout)
            except (_NotConnected, _NoAnswer) as failure:
                raise self._failure(failure, timeout) from None
        else:
            status, reason, answer = self._send_retrying(
                method, target, body, headers, Retrying(retry_for)
            )
        if status >= 400:
            raise HatchetError.from_response(
                status, answer, reason or _phrase(status), address=self.address
            )
        try:
            return jsonlib.loads(answer)
        except ValueError:
            raise not_json(status, answer, self.address) from None

    def target(self, path: str, params: dict[str, Any] | None = None) -> str:
        """The request target of `path` (below the address's own path) with `params` as its
        query: `None` values left out, lists repeating the name."""
        target = quote(self.prefix + path, safe=_TARGET_SAFE)
        query = {name: _param(value) for name, value in (params or {}).items() if value is not None}
        if query:
            target += ("&" if "?" in target else "?") + urlencode(query, doseq=True)
        return target

    def _failure(self, failure: _NotConnected | _NoAnswer, timeout: float) -> DaemonUnreachable:
        """What a caller sees of an attempt that got no answer."""
        cause = failure.cause
        if isinstance(failure, _NoAnswer) and isinstance(cause, TimeoutError):
            return DaemonNotAnswering(self.address, timeout, "timed out")
        if isinstance(cause, TimeoutError):
            return DaemonUnreachable(self.address, f"no connection within {timeout:g} s")
        # refused, no such host, a reset, a garbled answer
        return DaemonUnreachable(self.address, _reason(cause))

    def _send_retrying(
        self,
        method: str,
        target: str,
        body: bytes | None,
        headers: dict[str, str],
        retrying: Retrying,
    ) -> tuple[int, str, bytes]:
        got_through = False
        while True:
            timeout = retrying.attempt_timeout(self.timeout)
            retry_after: float | None = None
            try:
                status, reason, retry_after, answer = self._send(
                    method, target, body, headers, timeout
                )
            except _NotConnected as failure:
                if not got_through:  # the daemon is not there, and nothing was sent
                    raise self._failure(failure, timeout) from None
                last: HatchetError | _NotConnected | _NoAnswer = failure  # it went away meanwhile
            except _NoAnswer as failure:
                got_through = True
                last = failure
            else:
                got_through = True
                if status != 503:  # anything else is the answer, 507 and other errors included
                    return status, reason, answer
                last = HatchetError.from_response(
                    status, answer, reason or _phrase(status), address=self.address
                )
            delay = retrying.next_delay(retry_after)
            if delay is None:
                if isinstance(last, HatchetError):
                    raise last
                if retrying.retry_for == 0:  # sent once: as if it had not been retried at all
                    raise self._failure(last, timeout) from None
                raise DaemonNotAnswering(self.address, retrying.retry_for, _why(last)) from None
            _note_retry(method, target, _why(last), delay)
            time.sleep(delay)

    def _send(
        self,
        method: str,
        target: str,
        body: bytes | None,
        headers: dict[str, str],
        timeout: float,
    ) -> tuple[int, str, float | None, bytes]:
        """One attempt: status, reason phrase, the `Retry-After` in seconds, body. Raises
        `_NotConnected` or `_NoAnswer`."""
        self.connection.timeout = timeout
        reused = self.connection.sock is not None
        if reused:
            assert self.connection.sock is not None
            self.connection.sock.settimeout(timeout)
        else:
            self._connect()
        try:
            return self._exchange(method, target, body, headers)
        except (ConnectionResetError, BrokenPipeError) as exc:  # RemoteDisconnected is a reset
            if not reused:
                raise _NoAnswer(exc) from None
        except (OSError, HTTPException) as exc:  # a timeout, a garbled answer
            raise _NoAnswer(exc) from None
        # The server closed the connection while it sat idle between two requests (its
        # keep-alive timeout), which shows only when the next request is sent on it: send that
        # once more, on a fresh connection. Other errors, or this one on a fresh connection, are
        # real failures.
        self._connect()
        try:
            return self._exchange(method, target, body, headers)
        except (OSError, HTTPException) as exc:
            raise _NoAnswer(exc) from None

    def _connect(self) -> None:
        try:
            self.connection.connect()
        except (OSError, HTTPException) as exc:  # refused, no such host, a connect timeout
            self.connection.close()
            raise _NotConnected(exc) from None

    def _exchange(
        self, method: str, target: str, body: bytes | None, headers: dict[str, str]
    ) -> tuple[int, str, float | None, bytes]:
        try:
            self.connection.request(method, target, body=body, headers=headers)
            response = self.connection.getresponse()
            retry_after = retry_after_seconds(response.getheader("Retry-After"))
            return response.status, response.reason, retry_after, response.read()
        except BaseException:
            # Half a request or answer went by: the next request starts on a fresh connection
            # (after a timeout, the late answer would otherwise be read as the next one's).
            self.connection.close()
            raise


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


def request_headers(token: str | None) -> dict[str, str]:
    """The headers every request to the daemon carries: JSON, who is asking, the bearer token."""
    headers = {"Accept": "application/json", "User-Agent": f"hatchet-cli/{__version__}"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return headers
