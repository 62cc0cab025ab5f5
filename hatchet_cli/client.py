"""The daemon's HTTP API as Python calls: the one module that knows its URLs.

```python
from hatchet_cli import Client

with Client() as client:                       # $HATCHET_ADDRESS, else http://127.0.0.1:7070
    event = client.events.push("user:create", {"username": "ada"})
    trace = client.runs.get(event.run_ids[0])
```

Every call returns a `hatchetd.contracts` model or raises `HatchetError` (the daemon answered with
an error) or `DaemonUnreachable` (it did not answer at all).
"""

from __future__ import annotations

import builtins
import json
import os
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import datetime
from types import TracebackType
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from hatchet_cli._http import (
    ChangesLost,
    DaemonUnreachable,
    HatchetError,
    Transport,
    stream_events,
)

# The models are imported when a call needs them, not with this module: a CLI command that only
# passes the daemon's JSON on (`hatchet events push -o id`) starts without loading pydantic.
if TYPE_CHECKING:
    from hatchetd.contracts.api import (
        DaemonStatus,
        EventDetail,
        EventList,
        ReplayResult,
        RunList,
        WorkerInfo,
        WorkflowDetail,
        WorkflowInfo,
        WorkflowList,
    )
    from hatchetd.contracts.events import Event
    from hatchetd.contracts.payload_paths import PathValue
    from hatchetd.contracts.runs import RunTrace, StepLog
    from hatchetd.contracts.workflows import WorkflowVersion

__all__ = [
    "DEFAULT_ADDRESS",
    "ChangesLost",
    "Client",
    "DaemonUnreachable",
    "HatchetError",
]

DEFAULT_ADDRESS = "http://127.0.0.1:7070"
"""Where the daemon listens unless `address=` or `HATCHET_ADDRESS` says otherwise."""


class Client:
    """A synchronous client of one daemon.

    `address` defaults to `$HATCHET_ADDRESS`, else `http://127.0.0.1:7070`; `token` to
    `$HATCHET_TOKEN` (sent as `Authorization: Bearer ...`). `timeout` is in seconds. Requests go
    over one keep-alive connection; close it with `close()` or use the client as a context
    manager. One client is for one thread at a time.
    """

    def __init__(
        self, address: str | None = None, token: str | None = None, timeout: float = 10.0
    ) -> None:
        chosen = address or os.environ.get("HATCHET_ADDRESS") or DEFAULT_ADDRESS
        self.address = (chosen if "://" in chosen else f"http://{chosen}").rstrip("/")
        self.token = token or os.environ.get("HATCHET_TOKEN") or None
        """The bearer token sent, if any (for a second client of the same daemon)."""
        self._http = Transport(self.address, token=self.token, timeout=timeout)
        self.events = Events(self)
        """Push and read events."""
        self.runs = Runs(self)
        """Read and cancel workflow runs."""
        self.workers = Workers(self)
        """See connected workers."""
        self.workflows = Workflows(self)
        """See the workflows the daemon loaded, their versions and errors."""

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Client({self.address!r})"

    def status(self) -> DaemonStatus:
        """The daemon's version, address, store, folder, start time, workers and queue depth."""
        from hatchetd.contracts.api import DaemonStatus

        return DaemonStatus.model_validate(self.request("GET", "/api/v1/status"))

    def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: dict[str, Any] | None = None,
    ) -> Any:
        """Send one request to the API; the decoded JSON of a successful answer.

        `params` become the query string; `None` values are left out, lists repeat the name.
        """
        return self._http.request(method, path, json=json, params=params)

    def changes(
        self,
        *,
        kinds: Iterable[str] = (),
        run_id: str | None = None,
        on_open: Callable[[], None] | None = None,
    ) -> Iterator[dict[str, Any]]:
        """Every write the daemon commits from now on, as `Change` documents, as it commits them
        (`GET /api/v1/changes`); blocks between changes. Filter by `kinds` (`event`, `run`,
        `job_run`, `step_run`, `worker`, `workflow`) and by `run_id` (a unique prefix will do).

        Ends when the daemon shuts down; raises `ChangesLost` when this reader fell behind (read
        the state again, then subscribe again) and `DaemonUnreachable` when the daemon went away.
        `on_open()` is called once the daemon has accepted the subscription: changes committed
        after that are not missed (read the state then, not before).
        """
        params = {"kind": list(kinds) or None, "run_id": run_id}
        for name, data in stream_events(self._http, "/api/v1/changes", params):
            if name == "open":
                if on_open is not None:
                    on_open()
            elif name == "change":
                change: dict[str, Any] = json.loads(data)
                yield change
            elif name == "lagged":
                raise ChangesLost(self.address)
            elif name == "end":
                return


class Events:
    """`client.events`: push and read events."""

    def __init__(self, client: Client) -> None:
        self._client = client

    def push(
        self,
        key: str,
        data: dict[str, Any] | None = None,
        *,
        idempotency_key: str | None = None,
    ) -> Event:
        """Store an event (acknowledged once durable); the workflows it triggers start.

        Pushing the same `idempotency_key` again returns the original event; with other data it
        is a `HatchetError` with status 409.
        """
        from hatchetd.contracts.events import Event

        return Event.model_validate(self.push_document(key, data, idempotency_key=idempotency_key))

    def push_document(
        self,
        key: str,
        data: dict[str, Any] | None = None,
        *,
        idempotency_key: str | None = None,
    ) -> dict[str, Any]:
        """`push()`, returning the daemon's JSON document (an `Event`) as it came, unparsed: for
        callers that only pass it on, so they need not load the models."""
        body = {
            "key": key,
            "data": {} if data is None else data,
            "idempotency_key": idempotency_key,
        }
        document: dict[str, Any] = self._client.request("POST", "/api/v1/events", json=body)
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
            "since": _time(since),
            "until": _time(until),
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
        for name, value in (("key", key), ("since", _time(since)), ("until", _time(until))):
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


class Runs:
    """`client.runs`: read and cancel workflow runs."""

    def __init__(self, client: Client) -> None:
        self._client = client

    def list(
        self,
        *,
        workflow: str | None = None,
        statuses: Iterable[str] = (),
        event_id: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int = 50,
        cursor: str | None = None,
    ) -> RunList:
        """A page of workflow runs, newest first, narrowed by workflow, status (any of),
        triggering event and creation time; pass `next_cursor` back as `cursor`."""
        from hatchetd.contracts.api import RunList

        params = {
            "workflow": workflow,
            "status": list(statuses) or None,
            "event_id": event_id,
            "since": _time(since),
            "until": _time(until),
            "limit": limit,
            "cursor": cursor,
        }
        return RunList.model_validate(self._client.request("GET", "/api/v1/runs", params=params))

    def cancel(self, run_id: str) -> RunTrace:
        """Cancel what is not final in a run (`USER_CANCELLED`); the trace afterwards."""
        from hatchetd.contracts.runs import RunTrace

        path = f"/api/v1/runs/{quote(run_id, safe='')}/cancel"
        return RunTrace.model_validate(self._client.request("POST", path))

    def logs(self, run_id: str) -> builtins.list[StepLog]:
        """Every line the run's steps logged, in order."""
        from hatchetd.contracts.runs import StepLog

        path = f"/api/v1/runs/{quote(run_id, safe='')}/logs"
        return [StepLog.model_validate(line) for line in self._client.request("GET", path)]

    def get(self, run_id: str) -> RunTrace:
        """A workflow run with its job runs and step runs."""
        from hatchetd.contracts.runs import RunTrace

        path = f"/api/v1/runs/{quote(run_id, safe='')}"
        return RunTrace.model_validate(self._client.request("GET", path))


class Workers:
    """`client.workers`: the workers the daemon knows."""

    def __init__(self, client: Client) -> None:
        self._client = client

    def list(self) -> list[WorkerInfo]:
        """Every worker, newest registration first, with the step runs it holds."""
        from hatchetd.contracts.api import WorkerInfo

        return [
            WorkerInfo.model_validate(w) for w in self._client.request("GET", "/api/v1/workers")
        ]


def _time(value: datetime | None) -> str | None:
    """A time as RFC 3339 text for the API."""
    return None if value is None else value.isoformat()


class Workflows:
    """`client.workflows`: the workflows the daemon loaded from its folder."""

    RECENT_RUNS = 10
    """How many runs `show()` includes."""

    def __init__(self, client: Client) -> None:
        self._client = client

    def list(self) -> WorkflowList:
        """Every workflow ever loaded (active or not, with its reload errors) and every file that
        does not load now."""
        from hatchetd.contracts.api import WorkflowList

        return WorkflowList.model_validate(self._client.request("GET", "/api/v1/workflows"))

    def get(self, name: str) -> WorkflowInfo:
        """One workflow by name."""
        from hatchetd.contracts.api import WorkflowInfo

        path = f"/api/v1/workflows/{quote(name, safe='')}"
        return WorkflowInfo.model_validate(self._client.request("GET", path))

    def versions(self, name: str) -> builtins.list[WorkflowVersion]:
        """Every version of a workflow, oldest first, each with its definition."""
        from hatchetd.contracts.workflows import WorkflowVersion

        path = f"/api/v1/workflows/{quote(name, safe='')}/versions"
        return [WorkflowVersion.model_validate(v) for v in self._client.request("GET", path)]

    def show(self, name: str) -> WorkflowDetail:
        """A workflow with its current definition, every version and its latest runs.

        Three requests: the daemon serves the parts separately, and the workflow is asked for
        first so that an unknown name fails (404) before anything else is fetched.
        """
        from hatchetd.contracts.api import WorkflowDetail

        workflow = self.get(name)
        versions = self.versions(name)
        runs = self._client.runs.list(workflow=name, limit=self.RECENT_RUNS)
        current = next((v for v in versions if v.id == workflow.version_id), None)
        return WorkflowDetail(
            workflow=workflow,
            definition=current.definition if current is not None else {},
            versions=versions,
            recent_runs=runs.items,
        )
