"""`/api/v1/runs` and `/api/v1/workflows` in process."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient

from hatchetd.contracts.worker_protocol import PROTOCOL_PATH

SIGN_UP = {"user": {"firstName": "Ada", "email": "ada@example.com"}}


def test_runs_are_listed_newest_first_and_filtered(client: TestClient) -> None:
    first = client.post("/api/v1/events", json={"key": "user:create", "data": SIGN_UP}).json()
    second = client.post("/api/v1/events", json={"key": "user:create", "data": SIGN_UP}).json()

    listed = client.get("/api/v1/runs").json()["items"]
    assert [r["id"] for r in listed] == second["run_ids"] + first["run_ids"]
    by_event = client.get("/api/v1/runs", params={"event_id": first["id"]}).json()["items"]
    assert [r["id"] for r in by_event] == first["run_ids"]
    running = client.get("/api/v1/runs", params={"status": "RUNNING"}).json()["items"]
    assert len(running) == 2
    assert client.get("/api/v1/runs", params={"status": "SUCCEEDED"}).json()["items"] == []
    other = client.get("/api/v1/runs", params={"workflow": "nope"}).json()["items"]
    assert other == []


def test_cancelling_a_run_cancels_its_steps_and_tells_the_worker(client: TestClient) -> None:
    with client.websocket_connect(PROTOCOL_PATH) as ws:
        ws.send_text(json.dumps({"type": "register", "name": "t", "actions": ["sandbox:create"]}))
        ws.receive_text()
        event = client.post("/api/v1/events", json={"key": "user:create", "data": SIGN_UP}).json()
        assign = json.loads(ws.receive_text())

        response = client.post(f"/api/v1/runs/{event['run_ids'][0]}/cancel")
        cancel = json.loads(ws.receive_text())

    assert response.status_code == 200
    trace = response.json()
    assert trace["run"]["status"] == "CANCELLED"
    steps = [s for j in trace["jobs"] for s in j["step_runs"]]
    assert {s["status"] for s in steps} == {"CANCELLED"}
    assert {s["cancel_reason"] for s in steps} == {"USER_CANCELLED"}
    assert cancel["type"] == "cancel"
    assert cancel["step_run_id"] == assign["step_run_id"]
    assert cancel["reason"] == "USER_CANCELLED"


def test_cancelling_an_unknown_run_is_a_404(client: TestClient) -> None:
    response = client.post("/api/v1/runs/nope/cancel")

    assert response.status_code == 404
    assert response.json()["error"] == {"code": "not_found", "message": "no run with id 'nope'"}


def test_an_unknown_run_is_a_404(client: TestClient) -> None:
    assert client.get("/api/v1/runs/nope").status_code == 404
    assert client.get("/api/v1/runs/nope/logs").status_code == 404


def test_workflows_show_their_version_triggers_and_file(client: TestClient) -> None:
    listed = client.get("/api/v1/workflows").json()

    (workflow,) = listed["workflows"]
    assert workflow["name"] == "post-user-sign-up"
    assert workflow["active"] is True
    assert workflow["version"] == "v0.2.0"
    assert workflow["events"] == ["user:create"]
    assert workflow["file"] == "post-user-sign-up.yaml"
    assert listed["broken_files"] == []
    versions = client.get("/api/v1/workflows/post-user-sign-up/versions").json()
    assert [v["id"] for v in versions] == [workflow["version_id"]]
    assert client.get("/api/v1/workflows/nope").status_code == 404


def test_probes_and_openapi(client: TestClient) -> None:
    assert client.get("/livez").json() == {"status": "ok"}
    assert client.get("/readyz").json() == {"status": "ready"}
    paths = client.get("/openapi.json").json()["paths"]
    assert {"/api/v1/events", "/api/v1/events/bulk", "/api/v1/runs/{run_id}"} <= set(paths)
