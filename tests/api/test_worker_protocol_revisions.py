"""Workers of every protocol revision run steps: a current one is told the step, the workflow and
the event; one that sends no `Hatchet-Protocol` header (revision 1, which refuses a message with a
field it does not know) gets the assignment it knows."""

from __future__ import annotations

import json
from typing import Any

from fastapi.testclient import TestClient

from hatchetd.contracts.worker_protocol import (
    PROTOCOL_HEADER,
    PROTOCOL_PATH,
    PROTOCOL_REVISION,
)

SIGN_UP = {"user": {"firstName": "Ada", "email": "ada@example.com"}}
REVISION_1_ASSIGN_FIELDS = {
    "type",
    "step_run_id",
    "attempt",
    "workflow_run_id",
    "action",
    "input",
    "step_outputs",
    "timeout",
}


def first_assignment(client: TestClient, headers: dict[str, str]) -> tuple[dict[str, Any], Any]:
    """Register a worker for the sign-up's greeting, push a sign-up; the assignment as sent (JSON
    fields) and the event pushed."""
    with client.websocket_connect(PROTOCOL_PATH, headers=headers) as ws:
        register = {"type": "register", "name": "t", "actions": ["postmark:email-from-template"]}
        ws.send_text(json.dumps(register))
        assert json.loads(ws.receive_text())["type"] == "registered"
        event = client.post("/api/v1/events", json={"key": "user:create", "data": SIGN_UP}).json()
        assign: dict[str, Any] = json.loads(ws.receive_text())
    return assign, event


def test_a_current_worker_is_told_the_step_the_workflow_and_the_event(
    client: TestClient,
) -> None:
    assign, event = first_assignment(client, {PROTOCOL_HEADER: str(PROTOCOL_REVISION)})

    assert assign["step_id"] == "greetUser"
    assert assign["workflow_name"] == "post-user-sign-up"
    assert assign["event"] == {
        "id": event["id"],
        "key": "user:create",
        "created_at": event["created_at"],
    }


def test_a_revision_1_worker_gets_only_the_fields_it_knows(client: TestClient) -> None:
    assign, _ = first_assignment(client, {})

    assert set(assign) == REVISION_1_ASSIGN_FIELDS  # revision 1 refused any other field
    assert assign["action"] == "postmark:email-from-template"


def test_an_unreadable_revision_counts_as_revision_1(client: TestClient) -> None:
    assign, _ = first_assignment(client, {PROTOCOL_HEADER: "two"})

    assert set(assign) == REVISION_1_ASSIGN_FIELDS
