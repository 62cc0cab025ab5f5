"""Bearer auth when HATCHET_TOKEN is set: the scheme is case-insensitive (RFC 7235) on every
route and on the worker socket; probes stay open."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace

import pytest
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from hatchetd.api import create_app
from hatchetd.contracts.worker_protocol import PROTOCOL_PATH
from hatchetd.settings import Settings

TOKEN = "s3cret-token"


@pytest.fixture
def guarded(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(replace(settings, token=TOKEN))) as c:
        yield c


@pytest.mark.parametrize(
    "header", [f"Bearer {TOKEN}", f"bearer {TOKEN}", f"BEARER {TOKEN}", f"bEaReR   {TOKEN}"]
)
def test_the_token_is_accepted_whatever_the_case_of_the_scheme(
    guarded: TestClient, header: str
) -> None:
    response = guarded.get("/api/v1/events", headers={"Authorization": header})
    assert response.status_code == 200, response.text


@pytest.mark.parametrize(
    "header",
    [None, f"Basic {TOKEN}", "Bearer wrong", f"Bearer{TOKEN}", f"Bearer {TOKEN}x", "bearer"],
)
def test_a_missing_or_wrong_token_is_a_json_401(guarded: TestClient, header: str | None) -> None:
    headers = {"Authorization": header} if header is not None else {}
    response = guarded.get("/api/v1/events", headers=headers)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthorized"
    assert response.headers["www-authenticate"] == "Bearer"


def test_the_probes_need_no_token(guarded: TestClient) -> None:
    assert guarded.get("/livez").status_code == 200
    assert guarded.get("/readyz").status_code == 200


def test_a_worker_may_spell_the_scheme_in_lowercase(guarded: TestClient) -> None:
    headers = {"Authorization": f"bearer {TOKEN}"}
    with guarded.websocket_connect(PROTOCOL_PATH, headers=headers) as ws:
        ws.send_text(json.dumps({"type": "register", "name": "t", "actions": ["a:b"], "slots": 1}))
        assert json.loads(ws.receive_text())["type"] == "registered"


def test_a_worker_without_the_token_is_turned_away(guarded: TestClient) -> None:
    with (
        pytest.raises(WebSocketDisconnect) as refused,
        guarded.websocket_connect(PROTOCOL_PATH, headers={"Authorization": "Bearer no"}) as ws,
    ):
        ws.receive_text()
    assert refused.value.code == 4401
