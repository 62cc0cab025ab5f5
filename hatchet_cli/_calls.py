"""The API's calls as data: what to send and how to read the answer, for both clients.

`Client` (http.client, blocking) and `AsyncClient` (httpx, asyncio) differ only in how they send
a request; what each call sends and how its answer becomes a model is written once, here — the
sans-I/O shape of h11 and httpcore. The models are imported when an answer is read, not with this
module: a CLI command that passes the daemon's JSON on starts without loading pydantic.
"""

from __future__ import annotations

import importlib
import os
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Generic, TypeVar
from urllib.parse import quote

if TYPE_CHECKING:
    from hatchetd.contracts.api import (
        DaemonStatus,
        EventDetail,
        EventList,
        PushedEvent,
        ReplayResult,
        RunList,
        WorkerInfo,
        WorkflowDetail,
        WorkflowInfo,
        WorkflowList,
    )
    from hatchetd.contracts.events import Event
    from hatchetd.contracts.payload_paths import PathValue
    from hatchetd.contracts.runs import RunTrace, StepLog, WorkflowRun
    from hatchetd.contracts.workflows import WorkflowVersion

T = TypeVar("T")


@dataclass(frozen=True)
class Call(Generic[T]):
    """One request and how to read its answer."""

    method: str
    path: str
    """Below the daemon's address (which may have a path of its own)."""
    read: Callable[[Any], T]
    """The answer's decoded JSON → what the call returns."""
    params: dict[str, Any] | None = None
    json: Any = None
    idempotency_key: str | None = None
    """Set on calls that are safe to send again (a push): the client retries them within its
    `retry_for`, and names this key when no answer came."""
    hold: float = 0.0
    """Seconds the daemon may hold the request before it answers (a wait), on top of the
    client's own timeout."""
    kind: str = "push"
    """What `DaemonNotAnswering` calls a request with an idempotency key: a `push` (of an
    event), a `start` (of a run by hand) or a `rerun`."""


DEFAULT_ADDRESS = "http://127.0.0.1:7070"
"""Where the daemon listens unless `address=` or `HATCHET_ADDRESS` says otherwise."""


def client_settings(
    address: str | None, token: str | None, timeout: float, retry_for: float
) -> tuple[str, str | None]:
    """A client's arguments checked, and its address and token: the arguments, else
    `$HATCHET_ADDRESS` / `$HATCHET_TOKEN`, else the default address and no token."""
    if timeout <= 0:
        raise ValueError(f"timeout must be more than 0 seconds, not {timeout}")
    if retry_for < 0:
        raise ValueError(f"retry_for must be 0 or more seconds, not {retry_for}")
    chosen = address or os.environ.get("HATCHET_ADDRESS") or DEFAULT_ADDRESS
    chosen = (chosen if "://" in chosen else f"http://{chosen}").rstrip("/")
    return chosen, token or os.environ.get("HATCHET_TOKEN") or None


def _model(module: str, name: str) -> Callable[[Any], Any]:
    def read(document: Any) -> Any:
        return getattr(importlib.import_module(module), name).model_validate(document)

    return read


def _models(module: str, name: str) -> Callable[[Any], list[Any]]:
    one = _model(module, name)
    return lambda documents: [one(document) for document in documents]


def _document(document: Any) -> dict[str, Any]:
    return dict(document)


_API = "hatchetd.contracts.api"
_RUNS = "hatchetd.contracts.runs"


def _id(value: str) -> str:
    return quote(value, safe="")


def query_time(value: datetime | None) -> str | None:
    """A time as RFC 3339 text for the API."""
    return None if value is None else value.isoformat()


def new_idempotency_key() -> str:
    """A key for a push that was given none: random, so two pushes never share one."""
    return str(uuid.uuid4())


def path_values(values: Mapping[str, Any] | Iterable[tuple[str, Any]]) -> list[PathValue]:
    """Dot paths and values, checked (a bad path is a `ValueError` before anything is sent)."""
    from hatchetd.contracts.payload_paths import PathValue

    pairs = values.items() if isinstance(values, Mapping) else values
    return [PathValue(path=path, value=value) for path, value in pairs]


# -- the daemon -----------------------------------------------------------------------------------


def status() -> Call[DaemonStatus]:
    return Call("GET", "/api/v1/status", _model(_API, "DaemonStatus"))


# -- events ---------------------------------------------------------------------------------------


def push_document(
    key: str, data: dict[str, Any] | None, idempotency_key: str | None
) -> Call[dict[str, Any]]:
    chosen = new_idempotency_key() if idempotency_key is None else idempotency_key
    body = {"key": key, "data": {} if data is None else data, "idempotency_key": chosen}
    return Call("POST", "/api/v1/events", _document, json=body, idempotency_key=chosen)


def push(key: str, data: dict[str, Any] | None, idempotency_key: str | None) -> Call[PushedEvent]:
    raw = push_document(key, data, idempotency_key)
    read = _model(_API, "PushedEvent")
    return Call(raw.method, raw.path, read, json=raw.json, idempotency_key=raw.idempotency_key)


def get_event(event_id: str) -> Call[Event]:
    event = _model("hatchetd.contracts.events", "Event")

    def read(body: Any) -> Event:
        if isinstance(body, dict) and "event" in body and "key" not in body:
            body = body["event"]  # the API's `EventDetail`: the event beside its runs
        result: Event = event(body)
        return result

    return Call("GET", f"/api/v1/events/{_id(event_id)}", read)


def show_event(event_id: str) -> Call[EventDetail]:
    return Call("GET", f"/api/v1/events/{_id(event_id)}", _model(_API, "EventDetail"))


def list_events(
    *,
    key: str | None,
    since: datetime | None,
    until: datetime | None,
    where: Mapping[str, Any] | Iterable[tuple[str, Any]],
    limit: int,
    cursor: str | None,
) -> Call[EventList]:
    params = {
        "key": key,
        "since": query_time(since),
        "until": query_time(until),
        "where": [str(match) for match in path_values(where)] or None,
        "limit": limit,
        "cursor": cursor,
    }
    return Call("GET", "/api/v1/events", _model(_API, "EventList"), params=params)


def replay(
    event_ids: Iterable[str] | None,
    *,
    key: str | None,
    since: datetime | None,
    until: datetime | None,
    data: dict[str, Any] | None,
    set: Mapping[str, Any] | Iterable[tuple[str, Any]],
    dry_run: bool,
) -> Call[ReplayResult]:
    body: dict[str, Any] = {"dry_run": dry_run}
    if event_ids is not None:
        body["event_ids"] = list(event_ids)
    for name, value in (("key", key), ("since", query_time(since)), ("until", query_time(until))):
        if value is not None:
            body[name] = value
    if data is not None:
        body["data"] = data
    edits = path_values(set)
    if edits:
        body["set"] = [edit.model_dump() for edit in edits]
    return Call("POST", "/api/v1/events/replay", _model(_API, "ReplayResult"), json=body)


# -- runs -----------------------------------------------------------------------------------------


def list_runs(
    *,
    workflow: str | None,
    statuses: Iterable[str],
    event_id: str | None,
    since: datetime | None,
    until: datetime | None,
    limit: int,
    cursor: str | None,
) -> Call[RunList]:
    params = {
        "workflow": workflow,
        "status": list(statuses) or None,
        "event_id": event_id,
        "since": query_time(since),
        "until": query_time(until),
        "limit": limit,
        "cursor": cursor,
    }
    return Call("GET", "/api/v1/runs", _model(_API, "RunList"), params=params)


def get_run(run_id: str) -> Call[RunTrace]:
    return Call("GET", f"/api/v1/runs/{_id(run_id)}", _model(_RUNS, "RunTrace"))


def wait_run(run_id: str, hold: float) -> Call[RunTrace]:
    params = {"timeout": round(hold, 3)}
    read = _model(_RUNS, "RunTrace")
    return Call("GET", f"/api/v1/runs/{_id(run_id)}/wait", read, params=params, hold=hold)


def cancel_run(run_id: str) -> Call[RunTrace]:
    return Call("POST", f"/api/v1/runs/{_id(run_id)}/cancel", _model(_RUNS, "RunTrace"))


def rerun_document(
    run_id: str, from_failed: bool, idempotency_key: str | None
) -> Call[dict[str, Any]]:
    chosen = new_idempotency_key() if idempotency_key is None else idempotency_key
    body = {"from_failed": from_failed, "idempotency_key": chosen}
    path = f"/api/v1/runs/{_id(run_id)}/rerun"
    return Call("POST", path, _document, json=body, idempotency_key=chosen, kind="rerun")


def rerun(run_id: str, from_failed: bool, idempotency_key: str | None) -> Call[WorkflowRun]:
    raw = rerun_document(run_id, from_failed, idempotency_key)
    read = _model(_RUNS, "WorkflowRun")
    return Call(
        raw.method, raw.path, read, json=raw.json, idempotency_key=raw.idempotency_key, kind="rerun"
    )


def run_logs(run_id: str) -> Call[list[StepLog]]:
    return Call("GET", f"/api/v1/runs/{_id(run_id)}/logs", _models(_RUNS, "StepLog"))


# -- workers and workflows ------------------------------------------------------------------------


def list_workers() -> Call[list[WorkerInfo]]:
    return Call("GET", "/api/v1/workers", _models(_API, "WorkerInfo"))


def list_workflows() -> Call[WorkflowList]:
    return Call("GET", "/api/v1/workflows", _model(_API, "WorkflowList"))


def get_workflow(name: str) -> Call[WorkflowInfo]:
    return Call("GET", f"/api/v1/workflows/{_id(name)}", _model(_API, "WorkflowInfo"))


def workflow_versions(name: str) -> Call[list[WorkflowVersion]]:
    read = _models("hatchetd.contracts.workflows", "WorkflowVersion")
    return Call("GET", f"/api/v1/workflows/{_id(name)}/versions", read)


def workflow_detail(
    workflow: WorkflowInfo, versions: list[WorkflowVersion], runs: RunList
) -> WorkflowDetail:
    """`workflows.show()`: what the three reads it makes add up to."""
    from hatchetd.contracts.api import WorkflowDetail

    current = next((v for v in versions if v.id == workflow.version_id), None)
    return WorkflowDetail(
        workflow=workflow,
        definition=current.definition if current is not None else {},
        versions=versions,
        recent_runs=runs.items,
    )


def run_document(
    name: str, input: dict[str, Any] | None, idempotency_key: str | None
) -> Call[dict[str, Any]]:
    chosen = new_idempotency_key() if idempotency_key is None else idempotency_key
    body = {"input": {} if input is None else input, "idempotency_key": chosen}
    path = f"/api/v1/workflows/{_id(name)}/runs"
    return Call("POST", path, _document, json=body, idempotency_key=chosen, kind="start")


def run_workflow(
    name: str, input: dict[str, Any] | None, idempotency_key: str | None
) -> Call[WorkflowRun]:
    raw = run_document(name, input, idempotency_key)
    read = _model(_RUNS, "WorkflowRun")
    return Call(
        raw.method,
        raw.path,
        read,
        json=raw.json,
        idempotency_key=raw.idempotency_key,
        kind=raw.kind,
    )
