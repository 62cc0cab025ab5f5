"""`client.events`: pushing events and reading them back (part of `hatchet_cli.client`)."""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal, overload

from hatchet_cli import _calls
from hatchet_cli._wait import PushResult, Waiting, check_timeout

if TYPE_CHECKING:
    from hatchet_cli.client import Client
    from hatchetd.contracts.api import EventDetail, EventList, PushedEvent, ReplayResult
    from hatchetd.contracts.events import Event


class Events:
    """`client.events`: push and read events."""

    def __init__(self, client: Client) -> None:
        self._client = client

    @overload
    def push(
        self,
        key: str,
        data: dict[str, Any] | None = None,
        *,
        idempotency_key: str | None = None,
        wait: Literal[False] = False,
    ) -> PushedEvent: ...

    @overload
    def push(
        self,
        key: str,
        data: dict[str, Any] | None = None,
        *,
        idempotency_key: str | None = None,
        wait: Literal[True],
        timeout: float | None = None,
    ) -> PushResult: ...

    @overload
    def push(
        self,
        key: str,
        data: dict[str, Any] | None = None,
        *,
        idempotency_key: str | None = None,
        wait: bool,
        timeout: float | None = None,
    ) -> PushedEvent | PushResult: ...

    def push(
        self,
        key: str,
        data: dict[str, Any] | None = None,
        *,
        idempotency_key: str | None = None,
        wait: bool = False,
        timeout: float | None = None,
    ) -> PushedEvent | PushResult:
        """Store an event (acknowledged once durable); the workflows it triggers start.

        Returns a `PushedEvent`: the event, `existing` (True when its idempotency key was
        pushed before: this is that event, and nothing new started) and, when it triggered
        nothing, `similar_keys`: the keys active workflows listen to that look like `key`.

        Pushing the same `idempotency_key` again returns the original event; with other data it
        is a `HatchetError` with status 409. Without one, the push gets a new random key, so that
        the client's own retries (`Client(retry_for=...)`) store it once. When no answer came
        within `retry_for`, `DaemonNotAnswering` names the key: push again with it.

        With `wait=True` it then waits for every run the event started to be final, and returns
        a `PushResult`: the event beside those runs' traces (step outputs included). `timeout`
        (seconds, None: no limit) bounds the whole call, push included; when it passes first,
        `RunWaitTimeout` carries the event and the runs as they are then.
        """
        if not wait:
            if timeout is not None:
                raise TypeError("push(timeout=...) goes with wait=True")
            return self._client.perform(_calls.push(key, data, idempotency_key))
        started = time.monotonic()
        check_timeout(timeout)
        event = self._client.perform(_calls.push(key, data, idempotency_key))
        waiting = Waiting(event.run_ids, timeout, started=started, event=event)
        return PushResult(event, self._client.wait_for(waiting))

    def push_document(
        self,
        key: str,
        data: dict[str, Any] | None = None,
        *,
        idempotency_key: str | None = None,
    ) -> dict[str, Any]:
        """`push()`, returning the daemon's JSON document (an `Event`) as it came, unparsed: for
        callers that only pass it on, so they need not load the models."""
        return self._client.perform(_calls.push_document(key, data, idempotency_key))

    def get(self, event_id: str) -> Event:
        """One event, with the runs it triggered."""
        return self._client.perform(_calls.get_event(event_id))

    def show(self, event_id: str) -> EventDetail:
        """One event beside the workflow runs it triggered (oldest first)."""
        return self._client.perform(_calls.show_event(event_id))

    def list(
        self,
        *,
        key: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        where: Mapping[str, Any] | Iterable[tuple[str, Any]] = (),
        limit: int = 50,
        cursor: str | None = None,
    ) -> EventList:
        """A page of events, newest first. `key` is exact or has `*` segments (`user:*`);
        `since` is inclusive, `until` exclusive; pass `next_cursor` back as `cursor`.

        `where` keeps the events whose payload holds every value at its dot path, compared as
        JSON (`42` is not `"42"`): `{"user.email": "ada@example.com", "order.total": 42}`, or
        (path, value) pairs. A bad path is a `ValueError` before anything is sent.
        """
        call = _calls.list_events(
            key=key, since=since, until=until, where=where, limit=limit, cursor=cursor
        )
        return self._client.perform(call)

    def list_all(
        self,
        *,
        key: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        where: Mapping[str, Any] | Iterable[tuple[str, Any]] = (),
        page_size: int = 1000,
    ) -> Iterator[Event]:
        """Every event `list()` would find, newest first, fetched `page_size` at a time as the
        iteration goes; the filters are those of `list()`."""
        matches = _calls.path_values(where)  # checked now, not at the first page
        cursor: str | None = None
        while True:
            page = self.list(
                key=key,
                since=since,
                until=until,
                where=[(m.path, m.value) for m in matches],
                limit=page_size,
                cursor=cursor,
            )
            yield from page.items
            if page.next_cursor is None:
                return
            cursor = page.next_cursor

    def replay(
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
        """Push events again as new events linked to the originals: by id, or every event a
        filter (`key`, `since`, `until`) matches. `data` replaces each payload; `set` then puts
        values into each event's own payload by dot path (`{"user.vip": True}`, or pairs),
        creating missing objects; `dry_run` lists what would be replayed, each event with the
        payload its replay would carry, and writes nothing."""
        call = _calls.replay(
            event_ids, key=key, since=since, until=until, data=data, set=set, dry_run=dry_run
        )
        return self._client.perform(call)
