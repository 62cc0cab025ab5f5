"""The worker WebSocket in process: register, receive an assignment, report, get the ack."""

from __future__ import annotations

import json
import threading
import time
from typing import Any

import pytest
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from hatchetd.contracts.worker_protocol import PROTOCOL_PATH

SIGN_UP = {"user": {"firstName": "Ada", "email": "ada@example.com"}}
SIGN_UP_ACTIONS = ["sandbox:create", "postmark:email-from-template", "newsletter:add-user"]


def register(ws: Any, actions: list[str], slots: int = 8) -> dict[str, Any]:
    ws.send_text(json.dumps({"type": "register", "name": "t", "actions": actions, "slots": slots}))
    registered: dict[str, Any] = json.loads(ws.receive_text())
    return registered


def test_a_worker_runs_the_steps_it_is_assigned_and_the_run_succeeds(client: TestClient) -> None:
    with client.websocket_connect(PROTOCOL_PATH) as ws:
        registered = register(ws, SIGN_UP_ACTIONS)
        assert registered["type"] == "registered"
        assert registered["heartbeat_interval"] == 5.0

        event = client.post("/api/v1/events", json={"key": "user:create", "data": SIGN_UP}).json()
        assigns = [json.loads(ws.receive_text()) for _ in range(3)]
        assert sorted(a["action"] for a in assigns) == sorted(SIGN_UP_ACTIONS)
        greet = next(a for a in assigns if a["action"] == "postmark:email-from-template")
        assert greet["input"] == {"firstName": "Ada", "email": "ada@example.com"}
        assert greet["attempt"] == 1

        for a in assigns:
            ids = {"step_run_id": a["step_run_id"], "attempt": a["attempt"]}
            ws.send_text(json.dumps({"type": "started", **ids}))
            ws.send_text(json.dumps({"type": "log", **ids, "line": f"doing {a['action']}"}))
            ws.send_text(json.dumps({"type": "completed", **ids, "output": {"ok": a["action"]}}))
            ack = json.loads(ws.receive_text())
            assert ack == {"type": "result_ack", **ids, "accepted": True, "reason": None}

        # A result sent twice (a worker re-sending after a reconnect) is answered, not applied.
        first = assigns[0]
        again = {"step_run_id": first["step_run_id"], "attempt": 1}
        ws.send_text(json.dumps({"type": "completed", **again, "output": {"other": 1}}))
        repeat = json.loads(ws.receive_text())
        assert repeat["accepted"] is False
        assert repeat["reason"]

    trace = client.get(f"/api/v1/runs/{event['run_ids'][0]}").json()
    assert trace["run"]["status"] == "SUCCEEDED"
    outputs = {s["action"]: s["output"] for j in trace["jobs"] for s in j["step_runs"]}
    assert outputs == {a: {"ok": a} for a in SIGN_UP_ACTIONS}
    logs = client.get(f"/api/v1/runs/{event['run_ids'][0]}/logs").json()
    assert sorted(line["line"] for line in logs) == sorted(f"doing {a}" for a in SIGN_UP_ACTIONS)


def test_the_worker_list_shows_what_a_worker_holds(client: TestClient) -> None:
    with client.websocket_connect(PROTOCOL_PATH) as ws:
        worker_id = register(ws, ["sandbox:create"])["worker_id"]
        client.post("/api/v1/events", json={"key": "user:create", "data": SIGN_UP})
        assign = json.loads(ws.receive_text())

        (listed,) = client.get("/api/v1/workers").json()
        assert listed["worker"]["id"] == worker_id
        assert listed["worker"]["status"] == "ACTIVE"
        assert listed["running_step_run_ids"] == [assign["step_run_id"]]
        status = client.get("/api/v1/status").json()
        assert status["workers"] == 1
        assert status["queue_depth"] == 2  # the two sign-up steps nobody can run


def test_the_first_message_must_be_register(client: TestClient) -> None:
    with client.websocket_connect(PROTOCOL_PATH) as ws:
        ws.send_text(json.dumps({"type": "heartbeat"}))
        error = json.loads(ws.receive_text())
        assert error == {
            "type": "error",
            "code": "not_registered",
            "message": "send register first, not heartbeat",
        }
        with pytest.raises(WebSocketDisconnect):
            ws.receive_text()


def test_an_action_that_is_not_integration_verb_is_refused(client: TestClient) -> None:
    with client.websocket_connect(PROTOCOL_PATH) as ws:
        error = register(ws, ["not-an-action"])
        assert error["type"] == "error"
        assert error["code"] == "invalid_message"
        assert error["message"].startswith("actions[0]: String should match pattern")
    assert client.get("/api/v1/workers").json() == []


def test_a_message_that_is_not_json_is_answered_with_an_error(client: TestClient) -> None:
    with client.websocket_connect(PROTOCOL_PATH) as ws:
        register(ws, ["sandbox:create"])
        ws.send_text("{not json")
        error = json.loads(ws.receive_text())
        assert error["type"] == "error"
        assert error["code"] == "invalid_message"


NUL = "contains a NUL character (\\u0000)"


def test_a_worker_name_the_store_cannot_hold_is_refused_naming_it(client: TestClient) -> None:
    with client.websocket_connect(PROTOCOL_PATH) as ws:
        ws.send_text(r'{"type":"register","name":"n\u0000","actions":["sandbox:create"]}')
        error = json.loads(ws.receive_text())
        assert (error["code"], error["message"]) == ("invalid_message", f"name: {NUL}")
        with pytest.raises(WebSocketDisconnect):
            ws.receive_text()
    assert client.get("/api/v1/workers").json() == []


def test_unstorable_results_and_log_lines_are_refused_naming_the_field_and_the_step_run(
    client: TestClient,
) -> None:
    with client.websocket_connect(PROTOCOL_PATH) as ws:
        register(ws, ["sandbox:create"])
        event = client.post("/api/v1/events", json={"key": "user:create", "data": SIGN_UP}).json()
        assign = json.loads(ws.receive_text())
        ids = f'"step_run_id":"{assign["step_run_id"]}","attempt":1'
        which = f"for step run {assign['step_run_id']}: "
        refused = {
            '{"type":"log",' + ids + r',"line":"a\u0000"}': f"log {which}line: {NUL}",
            '{"type":"completed",' + ids + ',"output":{"r":NaN}}':
                f"completed {which}output.r: NaN is not a finite number",
            '{"type":"completed",' + ids + ',"output":[1e400]}':
                f"completed {which}output[0]: 1e400 is not a finite number: numbers are "
                "limited to ±1.7976931348623157e308",
            '{"type":"failed",' + ids + r',"error":"E","traceback":"\ud800"}':
                f"failed {which}traceback: contains a lone surrogate (\\ud800), which is not "
                "Unicode text",
            r'{"type":"started","step_run_id":"x\u0000","attempt":1}':
                f"started for step run x\\x00: step_run_id: {NUL}",
            '{"type":"completed","step_run_id":"' + assign["step_run_id"] + '",'
            '"attempt":2147483648,"output":{}}':
                f"completed {which}attempt: Input should be less than or equal to 2147483647",
        }  # fmt: skip
        answers = {}
        for raw in refused:
            ws.send_text(raw)
            answers[raw] = json.loads(ws.receive_text())
        ws.send_text('{"type":"completed",' + ids + ',"output":{"z":1,"a":2}}')
        ack = json.loads(ws.receive_text())

    assert {raw: (a["type"], a["code"], a["message"]) for raw, a in answers.items()} == {
        raw: ("error", "invalid_message", message) for raw, message in refused.items()
    }
    assert ack["accepted"] is True
    trace = client.get(f"/api/v1/runs/{event['run_ids'][0]}").json()
    (step,) = [
        s for job in trace["jobs"] for s in job["step_runs"] if s["action"] == "sandbox:create"
    ]
    assert step["output"] == {"z": 1, "a": 2}
    assert client.get(f"/api/v1/runs/{event['run_ids'][0]}/logs").json() == []


def test_results_sent_back_to_back_share_a_commit_and_are_acked_in_order(
    client: TestClient,
) -> None:
    runtime = client.app.state.services.runtime  # type: ignore[attr-defined]
    with client.websocket_connect(PROTOCOL_PATH) as ws:
        register(ws, SIGN_UP_ACTIONS, slots=100)
        events = [{"key": "user:create", "data": SIGN_UP} for _ in range(10)]
        client.post("/api/v1/events/bulk", json={"events": events})
        assigns = [json.loads(ws.receive_text()) for _ in range(30)]

        # Hold the engine thread, so every result must be read while none is committed: the
        # socket may not wait for one result's commit before reading the next.
        gate, holding = threading.Event(), threading.Event()

        def hold(engine: object) -> None:
            holding.set()
            gate.wait(10)

        runtime.post(hold)
        # Once the thread holds, nothing sent from now on can join the held batch.
        assert holding.wait(5)
        for a in assigns:
            ids = {"step_run_id": a["step_run_id"], "attempt": a["attempt"]}
            ws.send_text(json.dumps({"type": "completed", **ids, "output": {}}))
        deadline = time.monotonic() + 5
        while runtime.waiting < len(assigns) and time.monotonic() < deadline:
            time.sleep(0.01)
        queued = runtime.waiting
        before = runtime.commits
        gate.set()
        acks = [json.loads(ws.receive_text()) for _ in assigns]

    assert queued >= len(assigns)
    assert [a["step_run_id"] for a in acks] == [a["step_run_id"] for a in assigns]
    assert all(a["accepted"] for a in acks)
    assert runtime.commits - before <= 3  # the held batch, then the 30 results together
    runs = client.get("/api/v1/runs", params={"status": "SUCCEEDED"}).json()
    assert len(runs["items"]) == 10


def test_a_draining_worker_keeps_what_it_started_and_the_rest_goes_to_another(
    client: TestClient,
) -> None:
    with (
        client.websocket_connect(PROTOCOL_PATH) as leaving,
        client.websocket_connect(PROTOCOL_PATH) as staying,
    ):
        leaving_id = register(leaving, SIGN_UP_ACTIONS)["worker_id"]
        event = client.post("/api/v1/events", json={"key": "user:create", "data": SIGN_UP}).json()
        run_id = event["run_ids"][0]
        assigns = [json.loads(leaving.receive_text()) for _ in range(3)]
        staying_id = register(staying, SIGN_UP_ACTIONS)["worker_id"]  # nothing waits for it
        started, *unstarted = assigns
        ids = {"step_run_id": started["step_run_id"], "attempt": 1}

        leaving.send_text(json.dumps({"type": "started", **ids}))
        leaving.send_text(json.dumps({"type": "draining"}))

        moved = [json.loads(staying.receive_text()) for _ in unstarted]
        assert sorted((m["step_run_id"], m["attempt"]) for m in moved) == sorted(
            (u["step_run_id"], 1) for u in unstarted
        )
        listed = {w["worker"]["id"]: w for w in client.get("/api/v1/workers").json()}
        assert listed[leaving_id]["worker"]["status"] == "DRAINING"
        assert listed[leaving_id]["running_step_run_ids"] == [started["step_run_id"]]
        # A `started` for a step it handed back is refused: the step stays with the other.
        late = {"step_run_id": unstarted[0]["step_run_id"], "attempt": 1}
        leaving.send_text(json.dumps({"type": "started", **late}))
        leaving.send_text(json.dumps({"type": "completed", **ids, "output": {"ok": 1}}))
        assert json.loads(leaving.receive_text())["accepted"] is True  # after the `started`
        steps = {
            s["id"]: s
            for j in client.get(f"/api/v1/runs/{run_id}").json()["jobs"]
            for s in j["step_runs"]
        }
        assert (steps[late["step_run_id"]]["status"], steps[late["step_run_id"]]["worker_id"]) == (
            "ASSIGNED",
            staying_id,
        )
        for m in moved:
            done = {"step_run_id": m["step_run_id"], "attempt": 1}
            staying.send_text(json.dumps({"type": "completed", **done, "output": {"ok": 2}}))
            assert json.loads(staying.receive_text())["accepted"] is True

    trace = client.get(f"/api/v1/runs/{run_id}").json()
    assert trace["run"]["status"] == "SUCCEEDED"
    workers = {s["worker_id"] for j in trace["jobs"] for s in j["step_runs"]}
    assert workers == {leaving_id, staying_id}
    assert all(s["attempt"] == 1 for j in trace["jobs"] for s in j["step_runs"])
