"""Each route answers only the error statuses its OpenAPI entry declares, and declares none it
cannot answer (issue 10, item 9).

`CASES` provokes every error of every route (the `errors(...)` of its decorator), in process:
the answer must be that status with the documented error shape and headers, and the status must
be declared for that operation. A last test checks the table covers every declared status, so a
status added to a route without a case, or raised without being declared, fails here.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from hatchetd.api import create_app
from hatchetd.api.openapi import ERROR_CODES
from hatchetd.api.services import Services
from hatchetd.contracts.api import MAX_PAYLOAD_BYTES
from hatchetd.contracts.api_errors import ErrorBody
from hatchetd.engine import (
    EngineError,
    NothingFailed,
    RunIdempotencyConflict,
    RunNotFinal,
    WorkflowInactive,
)
from hatchetd.settings import Settings
from hatchetd.store.errors import StoreFull, StoreLocked, StoreTrouble

Prepare = Callable[[TestClient, Services, pytest.MonkeyPatch], None]
TOO_BIG = {"blob": "x" * (MAX_PAYLOAD_BYTES + 1)}
UNKNOWN_ID = "ffffffff"


@dataclass(frozen=True)
class Case:
    operation: str
    """`METHOD /path/{template}` as the document names it."""
    url: str
    status: int
    code: str
    request: dict[str, Any] = field(default_factory=dict)
    prepare: Prepare | None = None

    @property
    def id(self) -> str:
        return f"{self.operation} {self.status} {self.code}"


def troubled(trouble: StoreTrouble) -> Prepare:
    """Every store call and engine command of the routes fails with `trouble`."""

    def prepare(_: TestClient, services: Services, monkeypatch: pytest.MonkeyPatch) -> None:
        async def call(*_: object, **__: object) -> None:
            raise trouble

        monkeypatch.setattr(services, "store", _Failing(trouble))
        monkeypatch.setattr(services.runtime, "call", call)

    return prepare


class _Failing:
    def __init__(self, trouble: StoreTrouble) -> None:
        self._trouble = trouble

    def __getattr__(self, name: str) -> Callable[..., None]:
        def fail(*_: object, **__: object) -> None:
            raise self._trouble

        return fail


def draining(_: TestClient, services: Services, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(services, "draining", True)


def ambiguous(_: TestClient, services: Services, monkeypatch: pytest.MonkeyPatch) -> None:
    two = [f"abcd{n}000-0000-4000-8000-000000000000" for n in range(2)]
    monkeypatch.setattr(services.store, "resolve_event_id", lambda _: two)
    monkeypatch.setattr(services.store, "resolve_run_id", lambda _: two)


def pushed_before(key: str) -> Prepare:
    def prepare(client: TestClient, _: Services, __: pytest.MonkeyPatch) -> None:
        body = {"key": "k", "data": {"n": 1}, "idempotency_key": key}
        assert client.post("/api/v1/events", json=body).status_code in (200, 201)

    return prepare


def refused(error: EngineError) -> Prepare:
    """The engine refuses every command with `error`."""

    def prepare(_: TestClient, services: Services, monkeypatch: pytest.MonkeyPatch) -> None:
        async def call(*_: object, **__: object) -> None:
            raise error

        monkeypatch.setattr(services.runtime, "call", call)

    return prepare


def store_cases(operation: str, url: str, **request: Any) -> list[Case]:
    return [
        Case(operation, url, 503, "database_locked", request, troubled(StoreLocked())),
        Case(operation, url, 507, "storage_full", request, troubled(StoreFull())),
    ]


PUSH = "POST /api/v1/events"
BULK = "POST /api/v1/events/bulk"
EVENTS = "GET /api/v1/events"
EVENT = "GET /api/v1/events/{event_id}"
REPLAY = "POST /api/v1/events/replay"
RUNS = "GET /api/v1/runs"
RUN = "GET /api/v1/runs/{run_id}"
CANCEL = "POST /api/v1/runs/{run_id}/cancel"
LOGS = "GET /api/v1/runs/{run_id}/logs"
WAIT = "GET /api/v1/runs/{run_id}/wait"
CHANGES = "GET /api/v1/changes"
START = "POST /api/v1/workflows/{name}/runs"
START_URL = "/api/v1/workflows/nope/runs"
RERUN = "POST /api/v1/runs/{run_id}/rerun"
FULL_ID = "ffffffff-ffff-4fff-8fff-ffffffffffff"
RERUN_URL = f"/api/v1/runs/{FULL_ID}/rerun"
ONE_PUSH = {"json": {"key": "k", "data": {}}}
NOT_JSON = {"content": b"{", "headers": {"content-type": "application/json"}}

CASES = [
    Case("GET /readyz", "/readyz", 503, "unavailable", prepare=draining),
    *store_cases("GET /api/v1/status", "/api/v1/status"),
    Case(PUSH, "/api/v1/events", 400, "invalid_json", NOT_JSON),
    Case(
        PUSH,
        "/api/v1/events",
        409,
        "idempotency_conflict",
        {"json": {"key": "k", "data": {"n": 2}, "idempotency_key": "one"}},
        pushed_before("one"),
    ),
    Case(PUSH, "/api/v1/events", 413, "payload_too_large", {"json": {"key": "k", "data": TOO_BIG}}),
    Case(PUSH, "/api/v1/events", 422, "invalid_request", {"json": {"data": {}}}),
    Case(PUSH, "/api/v1/events", 503, "unavailable", ONE_PUSH, draining),
    *store_cases(PUSH, "/api/v1/events", **ONE_PUSH),
    Case(BULK, "/api/v1/events/bulk", 400, "invalid_json", NOT_JSON),
    Case(
        BULK,
        "/api/v1/events/bulk",
        409,
        "idempotency_conflict",
        {"json": {"events": [{"key": "k", "data": {"n": 2}, "idempotency_key": "two"}]}},
        pushed_before("two"),
    ),
    Case(
        BULK,
        "/api/v1/events/bulk",
        413,
        "payload_too_large",
        {"json": {"events": [{"key": "k", "data": TOO_BIG}]}},
    ),
    Case(BULK, "/api/v1/events/bulk", 422, "invalid_request", {"json": {"events": []}}),
    *store_cases(BULK, "/api/v1/events/bulk", json={"events": [{"key": "k"}]}),
    Case(EVENTS, "/api/v1/events?cursor=nope", 400, "bad_cursor"),
    Case(EVENTS, "/api/v1/events?where=nope", 422, "bad_where"),
    Case(EVENTS, "/api/v1/events?since=2026-05-01T00:00:00", 422, "invalid_request"),
    *store_cases(EVENTS, "/api/v1/events"),
    Case(EVENT, f"/api/v1/events/{UNKNOWN_ID}", 404, "not_found"),
    Case(EVENT, "/api/v1/events/abcd", 409, "ambiguous_id", prepare=ambiguous),
    Case(EVENT, "/api/v1/events/abc", 422, "id_too_short"),
    *store_cases(EVENT, f"/api/v1/events/{UNKNOWN_ID}"),
    Case(REPLAY, "/api/v1/events/replay", 400, "invalid_json", NOT_JSON),
    Case(
        REPLAY,
        "/api/v1/events/replay",
        400,
        "invalid_request",
        {"json": {"key": "k", "set": [{"path": "n.deeper", "value": 1}]}},
        pushed_before("three"),
    ),
    Case(REPLAY, "/api/v1/events/replay", 404, "not_found", {"json": {"event_ids": [UNKNOWN_ID]}}),
    Case(
        REPLAY,
        "/api/v1/events/replay",
        409,
        "ambiguous_id",
        {"json": {"event_ids": ["abcd"]}},
        ambiguous,
    ),
    Case(
        REPLAY,
        "/api/v1/events/replay",
        413,
        "payload_too_large",
        {"json": {"key": "k", "data": TOO_BIG}},
    ),
    Case(REPLAY, "/api/v1/events/replay", 422, "invalid_request", {"json": {}}),
    *store_cases(REPLAY, "/api/v1/events/replay", json={"key": "k"}),
    Case(RUNS, "/api/v1/runs?cursor=nope", 400, "bad_cursor"),
    Case(RUNS, f"/api/v1/runs?event_id={UNKNOWN_ID}", 404, "not_found"),
    Case(RUNS, "/api/v1/runs?event_id=abcd", 409, "ambiguous_id", prepare=ambiguous),
    Case(RUNS, "/api/v1/runs?limit=0", 422, "invalid_request"),
    *store_cases(RUNS, "/api/v1/runs"),
    *[
        case
        for operation, method_url in [
            (RUN, "/api/v1/runs/{}"),
            (CANCEL, "/api/v1/runs/{}/cancel"),
            (LOGS, "/api/v1/runs/{}/logs"),
            (WAIT, "/api/v1/runs/{}/wait"),
        ]
        for case in [
            Case(operation, method_url.format(UNKNOWN_ID), 404, "not_found"),
            Case(operation, method_url.format("abcd"), 409, "ambiguous_id", prepare=ambiguous),
            Case(operation, method_url.format("12"), 422, "id_too_short"),
            *store_cases(operation, method_url.format(UNKNOWN_ID)),
        ]
    ],
    *store_cases("GET /api/v1/workflows", "/api/v1/workflows"),
    Case("GET /api/v1/workflows/{name}", "/api/v1/workflows/nope", 404, "not_found"),
    *store_cases("GET /api/v1/workflows/{name}", "/api/v1/workflows/nope"),
    Case(
        "GET /api/v1/workflows/{name}/versions", "/api/v1/workflows/nope/versions", 404, "not_found"
    ),
    *store_cases("GET /api/v1/workflows/{name}/versions", "/api/v1/workflows/nope/versions"),
    Case(START, START_URL, 400, "invalid_json", NOT_JSON),
    Case(START, START_URL, 404, "not_found", {"json": {}}),
    Case(
        START,
        START_URL,
        409,
        "idempotency_conflict",
        {"json": {"idempotency_key": "k"}},
        refused(RunIdempotencyConflict("k", UNKNOWN_ID, "other input")),
    ),
    Case(
        START,
        START_URL,
        409,
        "workflow_inactive",
        {"json": {}},
        refused(WorkflowInactive("nope", "nope.yaml")),
    ),
    Case(START, START_URL, 413, "payload_too_large", {"json": {"input": TOO_BIG}}),
    Case(START, START_URL, 422, "invalid_request", {"json": {"input": []}}),
    *store_cases(START, START_URL, json={}),
    Case(RERUN, RERUN_URL, 400, "invalid_json", NOT_JSON),
    Case(RERUN, RERUN_URL, 404, "not_found", {"json": {}}),
    Case(RERUN, "/api/v1/runs/abcd/rerun", 409, "ambiguous_id", {"json": {}}, ambiguous),
    Case(
        RERUN,
        RERUN_URL,
        409,
        "run_not_final",
        {"json": {}},
        refused(RunNotFinal(FULL_ID, "RUNNING")),
    ),
    Case(
        RERUN,
        RERUN_URL,
        409,
        "nothing_failed",
        {"json": {"from_failed": True}},
        refused(NothingFailed(FULL_ID)),
    ),
    Case(RERUN, RERUN_URL, 413, "payload_too_large", {"json": {"idempotency_key": "k" * 5000}}),
    Case(RERUN, RERUN_URL, 422, "invalid_request", {"json": {"from_failed": "maybe"}}),
    Case(RERUN, "/api/v1/runs/12/rerun", 422, "id_too_short", {"json": {}}),
    *store_cases(RERUN, RERUN_URL, json={}),
    *store_cases("GET /api/v1/workers", "/api/v1/workers"),
    Case(CHANGES, f"/api/v1/changes?run_id={UNKNOWN_ID}", 404, "not_found"),
    Case(CHANGES, "/api/v1/changes?run_id=abcd", 409, "ambiguous_id", prepare=ambiguous),
    Case(CHANGES, "/api/v1/changes?kind=nope", 422, "invalid_request"),
    *store_cases(CHANGES, f"/api/v1/changes?run_id={UNKNOWN_ID}"),
    Case("GET /api/v1/workers/connect", "/api/v1/workers/connect", 426, "upgrade_required"),
]


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    """One daemon for the whole table: each case's faults are undone after it."""
    root = tmp_path_factory.mktemp("statuses")
    (root / ".hatchet").mkdir()
    settings = Settings(
        folder=root / ".hatchet",
        database_url=f"sqlite:///{root / 'hatchet.db'}",
        host="127.0.0.1",
        port=0,
        token=None,
        heartbeat_interval=5.0,
    )
    with TestClient(create_app(settings)) as client:
        yield client


@pytest.fixture(scope="module")
def document(shared: TestClient) -> dict[str, Any]:
    doc: dict[str, Any] = shared.get("/openapi.json").json()
    return doc


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_each_error_is_answered_as_documented(
    shared: TestClient, document: dict[str, Any], case: Case, monkeypatch: pytest.MonkeyPatch
) -> None:
    if case.prepare is not None:
        case.prepare(shared, shared.app.state.services, monkeypatch)  # type: ignore[attr-defined]
    method, path = case.operation.split(" ", 1)

    answer = shared.request(method, case.url, **case.request)

    assert (answer.status_code, answer.json()["error"]["code"]) == (case.status, case.code), (
        answer.text[:300]
    )
    ErrorBody.model_validate_json(answer.content)
    declared = document["paths"][path][method.lower()]["responses"]
    assert str(case.status) in declared, f"{case.operation} answers {case.status} undeclared"
    for name, header in declared[str(case.status)].get("headers", {}).items():
        if header.get("required"):
            assert name in answer.headers, f"{case.operation} {case.status} lacks {name}"
    schema = declared[str(case.status)]["content"]["application/json"]["schema"]
    assert schema == {"$ref": "#/components/schemas/ErrorBody"}


def test_every_declared_error_has_a_case(document: dict[str, Any]) -> None:
    declared = {
        (f"{method.upper()} {path}", int(status))
        for path, item in document["paths"].items()
        for method, operation in item.items()
        for status in operation["responses"]
        if int(status) >= 400
    }
    provoked = {(case.operation, case.status) for case in CASES}
    assert declared - provoked == set(), "declared but never provoked by a case"
    assert provoked - declared == set(), "provoked but not declared"


def test_every_error_code_raised_is_in_the_catalogue_and_in_the_docs() -> None:
    """The codes the routes raise are those `ERROR_CODES` lists (the document's descriptions),
    and docs/api.md has a line for each, with its status."""
    root = Path(__file__).resolve().parents[2]
    source = "\n".join(p.read_text() for p in (root / "daemon/hatchetd/api").glob("*.py"))
    raised = {
        (int(status), code)
        for status, code in re.findall(
            r"(?:ApiError|error_response)\(\s*(\d+),\s*\"(\w+)\"", source
        )
    }
    catalogue = {(status, code) for status, codes in ERROR_CODES.items() for code in codes}
    outside = {(405, "method_not_allowed"), (500, "internal")}  # no operation declares these
    assert raised - catalogue - outside == set()
    docs = (root / "docs/api.md").read_text()
    undocumented = [
        f"{status} {code}"
        for status, code in sorted(catalogue | outside)
        if f"| {status} | `{code}` |" not in docs
    ]
    assert undocumented == []
