"""`client.events`: pushing events and reading them back (part of `hatchet_cli.client`)."""

from __future__ import annotations

import builtins
import time
import uuid
from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal, overload
from urllib.parse import quote

from hatchet_cli._http import DaemonNotAnswering
from hatchet_cli._wait import PushResult, wait_for_runs

if TYPE_CHECKING:
    from hatchet_cli.client import Client
    from hatchetd.contracts.api import EventDetail, EventList, ReplayResult
    from hatchetd.contracts.events import Event
    from hatchetd.contracts.payload_paths import PathValue


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
    ) -> Event: ...

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
    ) -> Event | PushResult: ...

    def push(
        self,
        key: str,
        data: dict[str, Any] | None = None,
        *,
        idempotency_key: str | None = None,
        wait: bool = False,
        timeout: float | None = None,
    ) -> Event | PushResult:
        """Store an event (acknowledged once durable); the workflows it triggers start.

        Pushing the same `idempotency_key` again returns the original event; with other data it
        is a `HatchetError` with status 409. Without one, the push gets a new random key, so that
        the client's own retries (`Client(retry_for=...)`) store it once. When no answer came
        within `retry_for`, `DaemonNotAnswering` names the key: push again with it.

        With `wait=True` it then waits for every run the event started to be final, and returns
        a `PushResult`: the event beside those runs' traces (step outputs included). `timeout`
        (seconds, None: no limit) bounds the whole call, push included; when it passes first,
        `RunWaitTimeout` carries the event and the runs as they are then.
        """
        from hatchetd.contracts.events import Event

        if not wait:
            if timeout is not None:
                raise TypeError("push(timeout=...) goes with wait=True")
            return Event.model_validate(
                self.push_document(key, data, idempotency_key=idempotency_key)
            )
        started = time.monotonic()
        if timeout is not None and timeout < 0:
            raise ValueError(f"timeout must be 0 or more seconds, not {timeout}")
        event = Event.model_validate(self.push_document(key, data, idempotency_key=idempotency_key))
        traces = wait_for_runs(self._client, event.run_ids, timeout, started=started, event=event)
        return PushResult(event, traces)

    def push_document(
        self,
        key: str,
        data: dict[str, Any] | None = None,
        *,
        idempotency_key: str | None = None,
    ) -> dict[str, Any]:
        """`push()`, returning the daemon's JSON document (an `Event`) as it came, unparsed: for
        callers that only pass it on, so they need not load the models."""
        chosen = new_idempotency_key() if idempotency_key is None else idempotency_key
        body = {"key": key, "data": {} if data is None else data, "idempotency_key": chosen}
        try:
            document: dict[str, Any] = self._client.request(
                "POST", "/api/v1/events", json=body, retry_for=self._client.retry_for
            )
        except DaemonNotAnswering as exc:
            raise exc.with_key(chosen) from None
        return document

    def get(self, event_id: str) -> Event:
        """One event, with the runs it triggered."""
        from hatchetd.contracts.events import Event

        path = f"/api/v1/events/{quote(event_id, safe='')}"
        body = self._client.request("GET", path)
        if isinstance(body, dict) and "event" in body and "key" not in body:
            body = body["event"]  # the API's `EventDetail`: the event beside its runs
        return Event.model_validate(body)

    def show(self, event_id: str) -> EventDetail:
        """One event beside the workflow runs it triggered (oldest first)."""
        from hatchetd.contracts.api import EventDetail

        path = f"/api/v1/events/{quote(event_id, safe='')}"
        return EventDetail.model_validate(self._client.request("GET", path))

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
        from hatchetd.contracts.api import EventList

        params = {
            "key": key,
            "since": query_time(since),
            "until": query_time(until),
            "where": [str(match) for match in self._path_values(where)] or None,
            "limit": limit,
            "cursor": cursor,
        }
        body = self._client.request("GET", "/api/v1/events", params=params)
        return EventList.model_validate(body)

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
        matches = self._path_values(where)  # checked now, not at the first page
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
        from hatchetd.contracts.api import ReplayResult

        body: dict[str, Any] = {"dry_run": dry_run}
        if event_ids is not None:
            body["event_ids"] = list(event_ids)
        for name, value in (
            ("key", key),
            ("since", query_time(since)),
            ("until", query_time(until)),
        ):
            if value is not None:
                body[name] = value
        if data is not None:
            body["data"] = data
        edits = self._path_values(set)
        if edits:
            body["set"] = [edit.model_dump() for edit in edits]
        answer = self._client.request("POST", "/api/v1/events/replay", json=body)
        return ReplayResult.model_validate(answer)

    @staticmethod
    def _path_values(
        values: Mapping[str, Any] | Iterable[tuple[str, Any]],
    ) -> builtins.list[PathValue]:
        from hatchetd.contracts.payload_paths import PathValue

        pairs = values.items() if isinstance(values, Mapping) else values
        return [PathValue(path=path, value=value) for path, value in pairs]


def new_idempotency_key() -> str:
    """A key for a push that was given none: random, so two pushes never share one."""
    return str(uuid.uuid4())


def query_time(value: datetime | None) -> str | None:
    """A time as RFC 3339 text for the API."""
    return None if value is None else value.isoformat()
