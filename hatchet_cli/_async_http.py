"""`AsyncClient`'s HTTP: the same requests, retries and errors as `_http.Transport`, on httpx.

httpx is the asyncio HTTP client of the field (connection pooling, HTTP/1.1 keep-alive, timeouts
per phase), and httpx-sse reads the change stream; `hatchet` commands never import either (the
import-linter contract keeps them out of the CLI's start-up).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
from httpx_sse import aconnect_sse

from hatchet_cli._http import (
    DaemonNotAnswering,
    DaemonUnreachable,
    HatchetError,
    not_json,
    request_headers,
)
from hatchet_cli._http import _NoAnswer as NoAnswer
from hatchet_cli._http import _NotConnected as NotConnected
from hatchet_cli._http import _note_retry as note_retry
from hatchet_cli._http import _param as query_param
from hatchet_cli._http import _phrase as phrase
from hatchet_cli._http import _why as why_failed
from hatchet_cli._retry import Retrying, retry_after_seconds


class AsyncTransport:
    """JSON requests to the daemon at `address` over a pool of keep-alive connections, each
    bounded by `timeout` seconds. Safe to share between the tasks of one event loop."""

    def __init__(self, address: str, *, token: str | None, timeout: float) -> None:
        self.address = address
        self.timeout = timeout
        self._http = httpx.AsyncClient(
            base_url=address, headers=request_headers(token), timeout=timeout
        )

    async def aclose(self) -> None:
        await self._http.aclose()

    async def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: dict[str, Any] | None = None,
        retry_for: float | None = None,
        hold: float = 0.0,
    ) -> Any:
        """As `Transport.request`: the decoded JSON of a successful answer, else `HatchetError`,
        `DaemonUnreachable` or `DaemonNotAnswering`; with `retry_for`, sent again after a 503,
        a timeout or a broken connection until `retry_for` seconds have passed. `hold`: how long
        the daemon may hold the request on purpose (a wait), on top of the client's timeout."""
        query = {name: query_param(v) for name, v in (params or {}).items() if v is not None}
        retrying = Retrying(0 if retry_for is None else retry_for)
        got_through = False
        while True:
            timeout = retrying.attempt_timeout(self.timeout) + hold
            try:
                response = await self._http.request(
                    method, path, json=json, params=query or None, timeout=timeout
                )
            except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
                failure: NotConnected | NoAnswer = NotConnected(exc)
            except (httpx.TimeoutException, httpx.TransportError) as exc:
                failure = NoAnswer(exc)
                got_through = True
            else:
                got_through = True
                if response.status_code != 503 or retry_for is None:
                    return _answer(response, self.address)
                retry_after = retry_after_seconds(response.headers.get("Retry-After"))
                last: HatchetError | NotConnected | NoAnswer = _error(response, self.address)
                delay = retrying.next_delay(retry_after)
                if delay is None:
                    raise last
                note_retry(method, path, why_failed(last), delay)
                await asyncio.sleep(delay)
                continue
            if retry_for is None or (isinstance(failure, NotConnected) and not got_through):
                raise self._failure(failure, timeout) from None
            delay = retrying.next_delay()
            if delay is None:
                if retrying.retry_for == 0:
                    raise self._failure(failure, timeout) from None
                reason = why_failed(failure)
                raise DaemonNotAnswering(self.address, retrying.retry_for, reason) from None
            note_retry(method, path, why_failed(failure), delay)
            await asyncio.sleep(delay)

    def _failure(self, failure: NotConnected | NoAnswer, timeout: float) -> DaemonUnreachable:
        cause = failure.cause
        if isinstance(cause, httpx.ConnectTimeout):
            return DaemonUnreachable(self.address, f"no connection within {timeout:g} s")
        if isinstance(cause, httpx.TimeoutException):
            return DaemonNotAnswering(self.address, timeout, "timed out")
        return DaemonUnreachable(self.address, str(cause) or type(cause).__name__)

    async def stream(
        self, path: str, params: dict[str, Any] | None = None, *, idle: float = 30.0
    ) -> AsyncIterator[tuple[str, str]]:
        """As `_http.stream_events`: ("open", "") once the daemon accepted the subscription, then
        (event name, data) per Server-Sent Event until it ends the stream; `idle` seconds
        without a byte (it sends a comment every 10) mean it is gone: `DaemonUnreachable`."""
        query = {name: query_param(v) for name, v in (params or {}).items() if v is not None}
        timeout = httpx.Timeout(self.timeout, read=idle)
        try:
            async with aconnect_sse(
                self._http, "GET", path, params=query or None, timeout=timeout
            ) as source:
                if source.response.status_code >= 400:
                    await source.response.aread()
                    raise _error(source.response, self.address)
                yield "open", ""
                async for event in source.aiter_sse():
                    yield event.event, event.data
        except httpx.ReadTimeout:
            raise DaemonUnreachable(self.address, f"silent for {idle} s") from None
        except httpx.TransportError as exc:
            raise DaemonUnreachable(self.address, str(exc) or type(exc).__name__) from None


def _error(response: httpx.Response, address: str) -> HatchetError:
    reason = response.reason_phrase or phrase(response.status_code)
    return HatchetError.from_response(
        response.status_code, response.content, reason, address=address
    )


def _answer(response: httpx.Response, address: str) -> Any:
    if response.status_code >= 400:
        raise _error(response, address)
    try:
        return response.json()
    except ValueError:
        raise not_json(response.status_code, response.content, address) from None
