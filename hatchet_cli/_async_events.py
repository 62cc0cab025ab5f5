"""`client.events` of `AsyncClient`: pushing events and reading them back (part of
`hatchet_cli.async_client`, as `_client_events.py` is of `hatchet_cli.client`)."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal, overload

from hatchet_cli import _calls
from hatchet_cli._wait import PushResult, Waiting, check_timeout

if TYPE_CHECKING:
    from hatchet_cli.async_client import AsyncClient
    from hatchetd.contracts.api import EventDetail, EventList, PushedEvent, ReplayResult
    from hatchetd.contracts.events import Event


class AsyncEvents:
    """`client.events`: push and read events (see `Client.events`)."""

    def __init__(self, client: AsyncClient) -> None:
        self._client = client

    @overload
    async def push(
        self,
        key: str,
        data: dict[str, Any] | None = None,
        *,
        idempotency_key: str | None = None,
        wait: Literal[False] = False,
    ) -> PushedEvent: ...

    @overload
    async def push(
        self,
        key: str,
        data: dict[str, Any] | None = None,
        *,
        idempotency_key: str | None = None,
        wait: Literal[True],
        timeout: float | None = None,
    ) -> PushResult: ...

    async def push(
        self,
        key: str,
        data: dict[str, Any] | None = None,
        *,
        idempotency_key: str | None = None,
        wait: bool = False,
        timeout: float | None = None,
    ) -> PushedEvent | PushResult:
        """Store an event (acknowledged once durable); the workflows it triggers start. With
        `wait=True`, then wait for them: a `PushResult` (see `Client.events.push`)."""
        if not wait:
            if timeout is not None:
                raise TypeError("push(timeout=...) goes with wait=True")
            return await self._client.perform(_calls.push(key, data, idempotency_key))
        started = time.monotonic()
        check_timeout(timeout)
        event = await self._client.perform(_calls.push(key, data, idempotency_key))
        waiting = Waiting(event.run_ids, timeout, started=started, event=event)
        return PushResult(event, await self._client.wait_for(waiting))

    async def get(self, event_id: str) -> Event:
        """One event, with the runs it triggered."""
        return await self._client.perform(_calls.get_event(event_id))

    async def show(self, event_id: str) -> EventDetail:
        """One event beside the workflow runs it triggered (oldest first)."""
        return await self._client.perform(_calls.show_event(event_id))

    async def list(
        self,
        *,
        key: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        where: Mapping[str, Any] | Iterable[tuple[str, Any]] = (),
        limit: int = 50,
        cursor: str | None = None,
    ) -> EventList:
        """A page of events, newest first (the filters of `Client.events.list`)."""
        call = _calls.list_events(
            key=key, since=since, until=until, where=where, limit=limit, cursor=cursor
        )
        return await self._client.perform(call)

    async def list_all(
        self,
        *,
        key: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        where: Mapping[str, Any] | Iterable[tuple[str, Any]] = (),
        page_size: int = 1000,
    ) -> AsyncIterator[Event]:
        """Every event `list()` would find, newest first, a page at a time."""
        matches = [(m.path, m.value) for m in _calls.path_values(where)]
        cursor: str | None = None
        while True:
            page = await self.list(
                key=key, since=since, until=until, where=matches, limit=page_size, cursor=cursor
            )
            for event in page.items:
                yield event
            if page.next_cursor is None:
                return
            cursor = page.next_cursor

    async def replay(
        self,
        event_ids: Iterable[str] | None = None,
        *,
        key: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        data: dict[str, Any] | None = None,
        set: Mapping[str, Any] | Iterable[tuple[str, Any]] = (),
        dry_run: bool = False,
    ) -> ReplayResult:
        """Push events again as new events linked to the originals (see `Client.events`)."""
        call = _calls.replay(
            event_ids, key=key, since=since, until=until, data=data, set=set, dry_run=dry_run
        )
        return await self._client.perform(call)
