"""`POST /api/v1/workflows/{name}/runs`: a workflow started by hand, in process."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from hatchetd.api import create_app
from hatchetd.contracts.api import MAX_PAYLOAD_BYTES
from hatchetd.contracts.runs import WorkflowRun
from hatchetd.contracts.worker_protocol import PROTOCOL_PATH
from hatchetd.settings import Settings

NIGHTLY = """\
name: nightly-report
jobs:
  report:
    steps:
      - id: gather
        action: report:gather
        with:
          day: "{{ .day }}"
          to: "{{ .input.to }}"
"""
RUNS = "/api/v1/workflows/nightly-report/runs"


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    """The daemon with the sign-up workflow and a workflow without triggers."""
    (settings.folder / "nightly.yaml").write_text(NIGHTLY)
    with TestClient(create_app(settings)) as c:
        yield c


def error(response: Any) -> tuple[int, str]:
    return response.status_code, response.json()["error"]["code"]


def test_a_run_started_by_hand_reaches_a_worker_with_its_input(client: TestClient) -> None:
    with client.websocket_connect(PROTOCOL_PATH) as ws:
        register = {"type": "register", "name": "t", "actions": ["report:gather"]}
        ws.send_text(json.dumps(register))
        ws.receive_text()

        response = client.post(RUNS, json={"input": {"day": "2026-12-04", "to": "ops"}})
        assign = json.loads(ws.receive_text())

    assert response.status_code == 201
    run = WorkflowRun.model_validate(response.json())
    assert (run.workflow_name, run.trigger, run.status) == ("nightly-report", "MANUAL", "RUNNING")
    assert (run.event_id, run.input) == (None, {"day": "2026-12-04", "to": "ops"})
    assert assign["workflow_run_id"] == run.id
    assert assign["input"] == {"day": "2026-12-04", "to": "ops"}
    trace = client.get(f"/api/v1/runs/{run.id}").json()
    assert trace["run"] == response.json()
    listed = client.get("/api/v1/runs", params={"workflow": "nightly-report"}).json()["items"]
    assert [r["id"] for r in listed] == [run.id]


def test_a_workflow_with_triggers_starts_by_hand_too_and_input_defaults_to_empty(
    client: TestClient,
) -> None:
    response = client.post("/api/v1/workflows/post-user-sign-up/runs", json={})

    assert response.status_code == 201
    assert response.json()["input"] == {}
    assert response.json()["trigger"] == "MANUAL"


def test_the_same_idempotency_key_returns_the_first_run_with_200(client: TestClient) -> None:
    body = {"input": {"day": "2026-12-04"}, "idempotency_key": "nightly-2026-12-04"}
    first = client.post(RUNS, json=body)

    again = client.post(RUNS, json=body)
    other = client.post(RUNS, json={**body, "input": {"day": "2026-12-05"}})

    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    assert error(other) == (409, "idempotency_conflict")
    assert first.json()["id"] in other.json()["error"]["message"]
    assert len(client.get("/api/v1/runs").json()["items"]) == 1


def test_an_unknown_workflow_is_a_404_naming_it(client: TestClient) -> None:
    response = client.post("/api/v1/workflows/nope/runs", json={})

    assert error(response) == (404, "not_found")
    assert response.json()["error"]["message"] == "no workflow named 'nope'"


def test_a_workflow_whose_file_was_deleted_is_a_409_saying_so(
    client: TestClient, settings: Settings
) -> None:
    (settings.folder / "nightly.yaml").unlink()
    deadline = time.monotonic() + 10
    while client.get("/api/v1/workflows/nightly-report").json()["active"]:
        assert time.monotonic() < deadline, "the watcher did not deactivate the workflow"
        time.sleep(0.02)

    response = client.post(RUNS, json={})

    assert error(response) == (409, "workflow_inactive")
    assert "nightly.yaml was deleted" in response.json()["error"]["message"]
    assert client.get("/api/v1/runs").json()["items"] == []


@pytest.mark.parametrize(
    ("request_", "status", "code", "says"),
    [
        ({"json": {"input": [1, 2]}}, 422, "invalid_request", "input: Input should be"),
        ({"json": {"input": "x"}}, 422, "invalid_request", "input: Input should be"),
        ({"json": {"input": {}, "extra": 1}}, 422, "invalid_request", "extra"),
        ({"json": {"input": {"a": "\x00"}}}, 422, "invalid_value", "input.a: contains a NUL"),
        ({"content": b'{"input": {"n": 1e400}}'}, 422, "invalid_value", "input.n"),
        (
            {"content": b'{"input": {"a": 1, "a": 2}}'},
            422,
            "invalid_value",
            'input: the key "a" appears',
        ),
        ({"content": b"{"}, 400, "invalid_json", "not valid JSON"),
        (
            {"json": {"input": {"blob": "x" * MAX_PAYLOAD_BYTES}}},
            413,
            "payload_too_large",
            "the run's input is",
        ),
    ],
    ids=["list", "text", "unknown field", "nul", "huge number", "repeated key", "bad", "1 MiB"],
)
def test_bad_input_is_refused_and_starts_nothing(
    client: TestClient, request_: dict[str, Any], status: int, code: str, says: str
) -> None:
    response = client.post(RUNS, **request_)

    assert error(response) == (status, code)
    assert says in response.json()["error"]["message"]
    assert client.get("/api/v1/runs").json()["items"] == []


def test_a_draining_daemon_starts_no_new_runs(client: TestClient) -> None:
    client.app.state.services.draining = True  # type: ignore[attr-defined]

    response = client.post(RUNS, json={})

    assert error(response) == (503, "unavailable")
    assert "Retry-After" in response.headers
