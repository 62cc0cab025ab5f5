"""`hatchet_cli.Client`: its requests, the connection it keeps and the errors a caller sees.

The daemon is played by a real HTTP server on a free local port (the `daemon` fixture,
`stand_in_daemon.py`), which records each request as it arrived on the wire and answers what the
test sets. How pushes are retried: `test_sdk_client_retries.py`.
"""

from __future__ import annotations

import socket
import uuid
from http.client import HTTPConnection, HTTPSConnection

import pytest

from hatchet_cli import Client, DaemonNotAnswering, DaemonUnreachable, HatchetError
from hatchetd.contracts.api import PushedEvent
from hatchetd.contracts.events import Event
from hatchetd.contracts.runs import RunTrace
from tests.unit.stand_in_daemon import Answer, Daemon, Seen

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


def test_push_posts_the_event_and_returns_the_stored_one(daemon: Daemon) -> None:
    daemon.reply = lambda seen: Answer(201, json=EVENT)

    with Client(daemon.address, token="sekrit") as client:
        event = client.events.push("user:create", {"username": "ada"}, idempotency_key="k1")

    # A daemon that predates `existing` and `similar_keys` still gives a whole PushedEvent.
    assert event == PushedEvent.model_validate(EVENT)
    assert (event.existing, event.similar_keys) == (False, [])
    (request,) = daemon.seen
    assert (request.method, request.path) == ("POST", "/api/v1/events")
    assert request.json() == {
        "key": "user:create",
        "data": {"username": "ada"},
        "idempotency_key": "k1",
    }
    assert request.body == b'{"key":"user:create","data":{"username":"ada"},"idempotency_key":"k1"}'
    assert request.headers["Authorization"] == "Bearer sekrit"
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["Accept"] == "application/json"


def test_push_without_data_or_key_sends_an_empty_object_and_a_new_key_and_no_token_no_header(
    daemon: Daemon, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("HATCHET_TOKEN", raising=False)
    daemon.reply = lambda seen: Answer(201, json=EVENT)

    with Client(daemon.address) as client:
        client.events.push("user:create")
        client.events.push("user:create")

    first, second = (seen.json() for seen in daemon.seen)
    assert {"key": first["key"], "data": first["data"]} == {"key": "user:create", "data": {}}
    assert str(uuid.UUID(first["idempotency_key"])) == first["idempotency_key"]
    assert second["idempotency_key"] != first["idempotency_key"]  # one key per push
    assert "Authorization" not in daemon.seen[0].headers


def test_get_reads_an_event_from_its_detail_and_a_run_by_id(daemon: Daemon) -> None:
    def reply(seen: Seen) -> Answer:
        if seen.path == f"/api/v1/events/{EVENT['id']}":
            return Answer(200, json={"event": EVENT, "runs": [RUN["run"]]})
        if seen.path == "/api/v1/runs/run%2F1":
            return Answer(200, json=RUN)
        return Answer(404, json={"error": {"code": "not_found", "message": "no"}})

    daemon.reply = reply

    with Client(daemon.address) as client:
        assert client.events.get(str(EVENT["id"])) == Event.model_validate(EVENT)
        assert client.runs.get("run/1") == RunTrace.model_validate(RUN)  # ids are quoted


def test_an_error_answer_raises_hatchet_error_with_the_daemons_code_and_message(
    daemon: Daemon,
) -> None:
    error = {"code": "idempotency_conflict", "message": "key k1 was used with other data"}
    daemon.reply = lambda seen: Answer(409, json={"error": error})

    with Client(daemon.address) as client, pytest.raises(HatchetError) as caught:
        client.events.push("user:create", {"a": 1}, idempotency_key="k1")

    assert (caught.value.status, caught.value.code, caught.value.message) == (
        409,
        "idempotency_conflict",
        "key k1 was used with other data",
    )
    assert str(caught.value) == "key k1 was used with other data (idempotency_conflict, HTTP 409)"


def test_an_html_error_page_is_named_not_dumped(daemon: Daemon) -> None:
    daemon.reply = lambda seen: Answer(502, body=b"<html>\n  <body>Bad gateway</body>\n</html>")

    with Client(daemon.address) as client, pytest.raises(HatchetError) as caught:
        client.events.get("e1")

    assert (caught.value.status, caught.value.code, caught.value.message) == (
        502,
        "not_hatchetd",
        f"{daemon.address}: not a hatchetd (got an HTML page, HTTP 502 Bad Gateway)",
    )


def test_an_error_without_a_body_is_summarised_by_its_reason_phrase(daemon: Daemon) -> None:
    daemon.reply = lambda seen: Answer(503)

    with Client(daemon.address) as client, pytest.raises(HatchetError) as caught:
        client.events.get("e1")

    assert (caught.value.code, caught.value.message) == ("http_503", "Service Unavailable")


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
    assert "Connection refused" in caught.value.reason


def test_a_timeout_is_reported_as_no_answer(daemon: Daemon) -> None:
    daemon.reply = lambda seen: Answer(200, json=RUN, delay=5)

    with Client(daemon.address, timeout=0.2) as client:
        with pytest.raises(DaemonNotAnswering) as caught:
            client.runs.get("r1")
        assert str(caught.value) == (
            f"the hatchet daemon at {daemon.address} did not answer within 0.2 s (timed out)"
        )
        assert isinstance(caught.value, DaemonUnreachable)  # a kind of it, for older callers
        # The late answer is not taken for the next request's: that one goes on a new connection.
        daemon.reply = lambda seen: Answer(200, json=RUN)
        assert client.runs.get("r2") == RunTrace.model_validate(RUN)

    assert [seen.connection for seen in daemon.seen] == [1, 2]


def test_address_and_token_come_from_the_environment(
    daemon: Daemon, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HATCHET_ADDRESS", daemon.address + "/")
    monkeypatch.setenv("HATCHET_TOKEN", "from-env")
    daemon.reply = lambda seen: Answer(201, json=EVENT)

    with Client() as client:
        client.events.push("user:create")

    assert client.address == daemon.address
    assert daemon.seen[0].path == "/api/v1/events"
    assert daemon.seen[0].headers["Authorization"] == "Bearer from-env"


def test_an_address_without_a_scheme_is_http_and_its_path_prefixes_every_request(
    daemon: Daemon,
) -> None:
    address = daemon.address.removeprefix("http://") + "/hatchet/"

    with Client(address) as client:
        client.request("GET", "/api/v1/status")

    assert client.address == f"{daemon.address}/hatchet"
    assert daemon.seen[0].path == "/hatchet/api/v1/status"


def test_requests_share_one_keep_alive_connection(daemon: Daemon) -> None:
    with Client(daemon.address) as client:
        client.request("GET", "/api/v1/status")
        client.request("POST", "/api/v1/events", json={"key": "a"})
        client.request("GET", "/api/v1/status")

    assert [seen.connection for seen in daemon.seen] == [1, 1, 1]
    assert daemon.connections == 1


def test_a_connection_the_daemon_closes_is_reopened_for_the_next_request(daemon: Daemon) -> None:
    daemon.reply = lambda seen: Answer(200, json={"n": len(daemon.seen)}, close=True)

    with Client(daemon.address) as client:
        assert client.request("GET", "/api/v1/status") == {"n": 1}
        assert client.request("GET", "/api/v1/status") == {"n": 2}

    assert [seen.connection for seen in daemon.seen] == [1, 2]


def test_a_request_on_a_connection_closed_while_idle_is_sent_again_once(daemon: Daemon) -> None:
    daemon.reply = lambda seen: Answer(201, json=EVENT, hang_up=len(daemon.seen) == 1)

    with Client(daemon.address) as client:
        client.events.push("user:create")
        assert daemon.hung_up.wait(5)  # the daemon closed it, without `Connection: close`
        client.events.push("user:create")

    assert [(seen.method, seen.connection) for seen in daemon.seen] == [("POST", 1), ("POST", 2)]


def test_a_read_on_a_fresh_connection_closed_without_an_answer_is_not_retried(
    daemon: Daemon,
) -> None:
    daemon.reply = lambda seen: Answer(silent=True)

    with Client(daemon.address) as client, pytest.raises(DaemonUnreachable) as caught:
        client.runs.get("r1")

    assert caught.value.reason == "Remote end closed connection without response"
    assert len(daemon.seen) == 1  # only pushes are retried


def test_query_params_drop_none_and_repeat_lists(daemon: Daemon) -> None:
    daemon.reply = lambda seen: Answer(200, json={"items": [], "next_cursor": None})

    with Client(daemon.address) as client:
        client.request(
            "GET",
            "/api/v1/runs",
            params={"status": ["FAILED", "RUNNING"], "cursor": None, "limit": 5, "all": True},
        )
        client.runs.list(statuses=["QUEUED", "CANCELLED"], workflow="sign up")

    assert daemon.seen[0].query == {
        "status": ["FAILED", "RUNNING"],
        "limit": ["5"],
        "all": ["true"],
    }
    assert daemon.seen[1].query == {
        "workflow": ["sign up"],
        "status": ["QUEUED", "CANCELLED"],
        "limit": ["50"],
    }


def test_unicode_goes_as_utf8_json_and_comes_back(daemon: Daemon) -> None:
    data = {"name": "Zoë Ångström", "greeting": "こんにちは 👋"}
    daemon.reply = lambda seen: Answer(200, body=seen.body)  # an echo

    with Client(daemon.address) as client:
        assert client.request("POST", "/echo", json=data) == data

    assert "Zoë Ångström".encode() in daemon.seen[0].body  # UTF-8, not \\u escapes


def test_an_https_address_uses_tls() -> None:
    with Client("https://daemon.example:7443") as tls, Client("daemon.example") as plain:
        assert type(tls._http.connection) is HTTPSConnection
        assert (tls._http.connection.host, tls._http.connection.port) == ("daemon.example", 7443)
        assert type(plain._http.connection) is HTTPConnection
        assert plain._http.connection.port == 80
