"""`hatchet_cli.Client`: the requests it makes and the errors a caller sees.

The daemon's HTTP API is answered here by `httpx.MockTransport`, which checks each request as the
daemon would receive it; `DaemonUnreachable` is tested against a real closed port.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from hatchet_cli import Client, DaemonUnreachable, HatchetError
from hatchetd.contracts.events import Event
from hatchetd.contracts.runs import RunTrace

EVENT = {
    "id": "3f0c5e0e-0000-4000-8000-000000000001",
    "key": "user:create",
    "data": {"username": "ada"},
    "created_at": "2024-05-01T12:00:00Z",
    "replayed_from_id": None,
    "idempotency_key": None,
    "run_ids": ["run-1"],
    "replay_ids": [],
}
RUN = {
    "run": {
        "id": "run-1",
        "workflow_name": "post-user-sign-up",
        "workflow_version_id": "abc",
        "trigger": "EVENT",
        "event_id": EVENT["id"],
        "status": "SUCCEEDED",
        "created_at": "2024-05-01T12:00:00Z",
    },
    "jobs": [],
}

Handler = Callable[[httpx.Request], httpx.Response]


def client_with(handler: Handler, **kwargs: Any) -> Client:
    return Client("http://daemon.test:7070", transport=httpx.MockTransport(handler), **kwargs)


def test_push_posts_the_event_and_returns_the_stored_one() -> None:
    requests: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        return httpx.Response(201, json=EVENT)

    with client_with(handler, token="sekrit") as client:
        event = client.events.push("user:create", {"username": "ada"}, idempotency_key="k1")

    assert event == Event.model_validate(EVENT)
    (request,) = requests
    assert (request.method, str(request.url)) == ("POST", "http://daemon.test:7070/api/v1/events")
    assert json.loads(request.content) == {
        "key": "user:create",
        "data": {"username": "ada"},
        "idempotency_key": "k1",
    }
    assert request.headers["Authorization"] == "Bearer sekrit"


def test_push_without_data_sends_an_empty_object_and_no_token_sends_no_header(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("HATCHET_TOKEN", raising=False)
    requests: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        return httpx.Response(201, json=EVENT)

    client_with(handler).events.push("user:create")

    assert json.loads(requests[0].content) == {
        "key": "user:create",
        "data": {},
        "idempotency_key": None,
    }
    assert "Authorization" not in requests[0].headers


def test_get_reads_an_event_from_its_detail_and_a_run_by_id() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == f"/api/v1/events/{EVENT['id']}":
            return httpx.Response(200, json={"event": EVENT, "runs": [RUN["run"]]})
        if request.url.raw_path == b"/api/v1/runs/run%2F1":
            return httpx.Response(200, json=RUN)
        return httpx.Response(404, json={"error": {"code": "not_found", "message": "no"}})

    client = client_with(handler)

    assert client.events.get(str(EVENT["id"])) == Event.model_validate(EVENT)
    assert client.runs.get("run/1") == RunTrace.model_validate(RUN)  # ids are quoted


def test_an_error_answer_raises_hatchet_error_with_the_daemons_code_and_message() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        error = {"code": "idempotency_conflict", "message": "key k1 was used with other data"}
        return httpx.Response(409, json={"error": error})

    with pytest.raises(HatchetError) as caught:
        client_with(handler).events.push("user:create", {"a": 1}, idempotency_key="k1")

    error = caught.value
    assert (error.status, error.code, error.message) == (
        409,
        "idempotency_conflict",
        "key k1 was used with other data",
    )
    assert str(error) == "key k1 was used with other data (idempotency_conflict, HTTP 409)"


def test_an_error_that_is_not_the_daemons_json_is_summarised() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(502, text="<html>\n  <body>Bad gateway</body>\n</html>")

    with pytest.raises(HatchetError) as caught:
        client_with(handler).events.get("e1")

    assert (caught.value.status, caught.value.code, caught.value.message) == (
        502,
        "http_502",
        "<html> <body>Bad gateway</body> </html>",
    )


def test_a_daemon_that_is_not_running_is_reported_as_unreachable() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    address = f"http://127.0.0.1:{port}"

    with Client(address) as client, pytest.raises(DaemonUnreachable) as caught:
        client.events.push("user:create", {})

    assert caught.value.address == address
    assert str(caught.value).startswith(f"cannot reach the hatchet daemon at {address} (")
    assert str(caught.value).endswith("); start it with `hatchetd`, or point HATCHET_ADDRESS at it")


def test_a_timeout_is_reported_as_unreachable() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("timed out", request=request)

    with pytest.raises(DaemonUnreachable, match=r"\(no answer within 2\.5 s\)"):
        client_with(handler, timeout=2.5).runs.get("r1")


def test_address_and_token_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HATCHET_ADDRESS", "http://10.1.2.3:7171/")
    monkeypatch.setenv("HATCHET_TOKEN", "from-env")
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(201, json=EVENT)

    client = Client(transport=httpx.MockTransport(handler))
    client.events.push("user:create")

    assert client.address == "http://10.1.2.3:7171"
    assert str(seen[0].url) == "http://10.1.2.3:7171/api/v1/events"
    assert seen[0].headers["Authorization"] == "Bearer from-env"
