"""`POST /api/v1/runs/{id}/rerun`: an ended run run again, whole or from its failed steps, in
process with a worker on the socket."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from starlette.testclient import WebSocketTestSession

from hatchetd.api import create_app
from hatchetd.contracts.runs import RunTrace, WorkflowRun
from hatchetd.contracts.worker_protocol import PROTOCOL_PATH
from hatchetd.settings import Settings

TWO_STEPS = """\
name: two-steps
jobs:
  main:
    steps:
      - id: first
        action: t:first
      - id: second
        action: t:second
        with: {got: "{{ .steps.first.n }}"}
"""
START = "/api/v1/workflows/two-steps/runs"


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    (settings.folder / "two.yaml").write_text(TWO_STEPS)
    with TestClient(create_app(settings)) as c:
        yield c


def error(response: Any) -> tuple[int, str]:
    return response.status_code, response.json()["error"]["code"]


def next_assign(ws: WebSocketTestSession) -> dict[str, Any]:
    """The next assignment, past the acknowledgements of earlier results."""
    while True:
        message: dict[str, Any] = json.loads(ws.receive_text())
        if message["type"] == "assign":
            return message


def report(ws: WebSocketTestSession, assign: dict[str, Any], **result: Any) -> None:
    """Start the step run and report `output=` or `error=`."""
    ids = {"step_run_id": assign["step_run_id"], "attempt": assign["attempt"]}
    ws.send_text(json.dumps({"type": "started", **ids}))
    kind = "failed" if "error" in result else "completed"
    ws.send_text(json.dumps({"type": kind, **ids, **result}))


def ended(client: TestClient, run_id: str) -> RunTrace:
    trace = RunTrace.model_validate(client.get(f"/api/v1/runs/{run_id}/wait?timeout=10").json())
    assert trace.run.status.is_final
    return trace


@pytest.fixture
def worker(client: TestClient) -> Iterator[WebSocketTestSession]:
    with client.websocket_connect(PROTOCOL_PATH) as ws:
        register = {"type": "register", "name": "t", "actions": ["t:first", "t:second"]}
        ws.send_text(json.dumps(register))
        ws.receive_text()
        yield ws


def failed_run(client: TestClient, ws: WebSocketTestSession) -> str:
    """A run whose first step returned {"n": 1} and whose second failed."""
    run_id: str = client.post(START, json={"input": {"k": "v"}}).json()["id"]
    report(ws, next_assign(ws), output={"n": 1})
    report(ws, next_assign(ws), error="ValueError: no")
    assert ended(client, run_id).run.status == "FAILED"
    return run_id


def test_from_failed_runs_only_the_failed_step_with_the_kept_output(
    client: TestClient, worker: WebSocketTestSession
) -> None:
    original = failed_run(client, worker)

    response = client.post(f"/api/v1/runs/{original[:8]}/rerun", json={"from_failed": True})
    assign = next_assign(worker)

    assert response.status_code == 201
    rerun = WorkflowRun.model_validate(response.json())
    assert (rerun.rerun_of_id, rerun.trigger, rerun.input) == (original, "MANUAL", {"k": "v"})
    assert (assign["workflow_run_id"], assign["action"]) == (rerun.id, "t:second")
    assert assign["input"] == {"got": 1}
    report(worker, assign, output={"ok": True})
    trace = ended(client, rerun.id)
    assert trace.run.status == "SUCCEEDED"
    assert trace.step("first").output == {"n": 1}
    assert trace.step("first").worker_id is None  # kept, not run
    assert client.get(f"/api/v1/runs/{original}").json()["rerun_ids"] == [rerun.id]


def test_a_whole_rerun_starts_at_the_first_step(
    client: TestClient, worker: WebSocketTestSession
) -> None:
    original = failed_run(client, worker)

    response = client.post(f"/api/v1/runs/{original}/rerun", json={})

    assert response.status_code == 201
    assert next_assign(worker)["action"] == "t:first"


def test_the_same_idempotency_key_returns_the_first_rerun_with_200(
    client: TestClient, worker: WebSocketTestSession
) -> None:
    original = failed_run(client, worker)
    body = {"idempotency_key": "again"}

    first = client.post(f"/api/v1/runs/{original}/rerun", json=body)
    again = client.post(f"/api/v1/runs/{original}/rerun", json=body)
    other = client.post(f"/api/v1/runs/{first.json()['id']}/rerun", json=body)

    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"]
    assert error(other) == (409, "idempotency_conflict")


def test_a_run_not_ended_or_without_a_failed_step_is_a_409(
    client: TestClient, worker: WebSocketTestSession
) -> None:
    run_id = client.post(START, json={}).json()["id"]
    not_final = client.post(f"/api/v1/runs/{run_id}/rerun", json={})
    report(worker, next_assign(worker), output={"n": 1})
    report(worker, next_assign(worker), output={})
    ended(client, run_id)

    nothing = client.post(f"/api/v1/runs/{run_id}/rerun", json={"from_failed": True})

    assert error(not_final) == (409, "run_not_final")
    assert "only a run that has ended can be rerun" in not_final.json()["error"]["message"]
    assert error(nothing) == (409, "nothing_failed")
    assert client.get(f"/api/v1/runs/{run_id}").json()["rerun_ids"] == []


@pytest.mark.parametrize(
    ("url", "request_", "status", "code"),
    [
        ("/api/v1/runs/ffffffff/rerun", {"json": {}}, 404, "not_found"),
        ("/api/v1/runs/RUN/rerun", {"json": {"from_failed": "maybe"}}, 422, "invalid_request"),
        ("/api/v1/runs/RUN/rerun", {"json": {"fromFailed": True}}, 422, "invalid_request"),
        ("/api/v1/runs/RUN/rerun", {"json": {"idempotency_key": ""}}, 422, "invalid_request"),
        ("/api/v1/runs/RUN/rerun", {"content": b"{"}, 400, "invalid_json"),
    ],
    ids=["unknown run", "not a bool", "unknown field", "empty key", "not json"],
)
def test_bad_requests_are_refused_and_start_nothing(
    client: TestClient,
    worker: WebSocketTestSession,
    *,
    url: str,
    request_: dict[str, Any],
    status: int,
    code: str,
) -> None:
    original = failed_run(client, worker)

    response = client.post(url.replace("RUN", original), **request_)

    assert error(response) == (status, code)
    assert len(client.get("/api/v1/runs").json()["items"]) == 1
