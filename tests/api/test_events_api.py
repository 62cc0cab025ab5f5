"""`/api/v1/events`: pushes are durable; bad input gets a JSON error and stores nothing."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient

from hatchetd.contracts.api import MAX_PAYLOAD_BYTES

SIGN_UP = {"user": {"firstName": "Ada", "email": "ada@example.com"}}


def count_events(client: TestClient) -> int:
    return len(client.get("/api/v1/events", params={"limit": 1000}).json()["items"])


def test_a_push_is_stored_and_starts_the_matching_workflow(client: TestClient) -> None:
    response = client.post("/api/v1/events", json={"key": "user:create", "data": SIGN_UP})

    assert response.status_code == 201
    event = response.json()
    assert event["key"] == "user:create"
    assert event["data"] == SIGN_UP
    assert len(event["run_ids"]) == 1
    shown = client.get(f"/api/v1/events/{event['id']}").json()
    assert shown["event"]["id"] == event["id"]
    assert [r["workflow_name"] for r in shown["runs"]] == ["post-user-sign-up"]


def test_a_bulk_push_stores_every_event(client: TestClient) -> None:
    body = {"events": [{"key": "a:b", "data": {"i": i}} for i in range(5)]}
    response = client.post("/api/v1/events/bulk", json=body)

    assert response.status_code == 201
    assert [e["data"]["i"] for e in response.json()] == [0, 1, 2, 3, 4]
    assert count_events(client) == 5


def test_the_same_idempotency_key_and_data_returns_the_first_event(client: TestClient) -> None:
    body = {"key": "user:create", "data": SIGN_UP, "idempotency_key": "signup-ada"}
    first = client.post("/api/v1/events", json=body)
    second = client.post("/api/v1/events", json=body)

    assert first.status_code == 201
    assert second.status_code == 200
    assert second.json()["id"] == first.json()["id"]
    assert second.json()["run_ids"] == first.json()["run_ids"]
    assert count_events(client) == 1


def test_the_same_idempotency_key_with_other_data_is_a_conflict(client: TestClient) -> None:
    client.post("/api/v1/events", json={"key": "k:v", "data": {"a": 1}, "idempotency_key": "x"})
    response = client.post(
        "/api/v1/events", json={"key": "k:v", "data": {"a": 2}, "idempotency_key": "x"}
    )

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "idempotency_conflict"
    assert count_events(client) == 1


def test_an_oversized_payload_is_refused_and_nothing_is_stored(client: TestClient) -> None:
    big = {"blob": "x" * MAX_PAYLOAD_BYTES}
    response = client.post("/api/v1/events", json={"key": "big:one", "data": big})

    assert response.status_code == 413
    error = response.json()["error"]
    assert error["code"] == "payload_too_large"
    assert "the limit is 1,048,576 bytes (1 MiB)" in error["message"]
    assert count_events(client) == 0


def test_malformed_json_is_a_400_naming_the_problem(client: TestClient) -> None:
    response = client.post(
        "/api/v1/events",
        content=b'{"key": "a:b", "data": {',
        headers={"content-type": "application/json"},
    )

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid_json"
    assert error["message"].startswith("the request body is not valid JSON")
    assert count_events(client) == 0


def test_data_that_is_not_an_object_is_refused(client: TestClient) -> None:
    response = client.post("/api/v1/events", json={"key": "a:b", "data": [1, 2]})

    assert response.status_code == 422
    assert response.json()["error"]["message"].startswith("data: ")


def test_a_key_with_spaces_is_refused(client: TestClient) -> None:
    response = client.post("/api/v1/events", json={"key": "user create"})

    assert response.status_code == 422
    assert response.json()["error"]["message"].startswith("key: ")


def test_an_unknown_event_id_is_a_404(client: TestClient) -> None:
    response = client.get("/api/v1/events/no-such-id")

    assert response.status_code == 404
    assert response.json() == {
        "error": {"code": "not_found", "message": "no event with id 'no-such-id'"}
    }


def test_replaying_an_unknown_event_is_a_404_and_stores_nothing(client: TestClient) -> None:
    response = client.post("/api/v1/events/replay", json={"event_ids": ["nope"]})

    assert response.status_code == 404
    assert response.json()["error"]["message"] == "no event with id 'nope'; nothing was replayed"
    assert count_events(client) == 0


def test_a_bad_cursor_is_a_400(client: TestClient) -> None:
    response = client.get("/api/v1/events", params={"cursor": "garbage"})

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "bad_cursor"


def test_listing_filters_by_key_pattern(client: TestClient) -> None:
    for key in ("user:create", "user:delete", "team:create"):
        client.post("/api/v1/events", json={"key": key})

    listed = client.get("/api/v1/events", params={"key": "user:*"}).json()["items"]
    assert sorted(e["key"] for e in listed) == ["user:create", "user:delete"]


def test_a_draining_daemon_refuses_new_requests_and_is_not_ready(client: TestClient) -> None:
    app = client.app
    assert isinstance(app, FastAPI)
    app.state.services.draining = True  # what the first SIGTERM does

    for response in (
        client.post("/api/v1/events", json={"key": "a:b"}),
        client.get("/api/v1/events"),
    ):
        assert response.status_code == 503
        assert response.json()["error"]["code"] == "unavailable"
        assert response.headers["retry-after"] == "5"
        assert response.headers["connection"] == "close"
    assert client.get("/readyz").status_code == 503
    assert client.get("/livez").status_code == 200
    app.state.services.draining = False
    assert count_events(client) == 0


def push_keys(client: TestClient, *keys: str) -> list[dict[str, Any]]:
    return [client.post("/api/v1/events", json={"key": k, "data": {"k": k}}).json() for k in keys]


def test_replay_by_ids_links_both_ways_and_can_edit_the_data(client: TestClient) -> None:
    (original,) = push_keys(client, "user:create")
    response = client.post(
        "/api/v1/events/replay", json={"event_ids": [original["id"]], "data": {"edited": True}}
    )

    assert response.status_code == 201
    result = response.json()
    assert result["dry_run"] is False
    (replay,) = result["events"]
    assert replay["replayed_from_id"] == original["id"]
    assert replay["key"] == "user:create"
    assert replay["data"] == {"edited": True}
    assert len(replay["run_ids"]) == 1  # matched against the versions current now
    shown = client.get(f"/api/v1/events/{original['id']}").json()["event"]
    assert shown["replay_ids"] == [replay["id"]]


def test_replay_by_filter_replays_every_match_oldest_first(client: TestClient) -> None:
    pushed = push_keys(client, "user:create", "team:create", "user:delete")
    response = client.post("/api/v1/events/replay", json={"key": "user:*"})

    assert response.status_code == 201
    replays = response.json()["events"]
    assert [r["replayed_from_id"] for r in replays] == [pushed[0]["id"], pushed[2]["id"]]
    assert count_events(client) == 5


def test_a_dry_run_lists_what_would_be_replayed_and_replays_nothing(client: TestClient) -> None:
    pushed = push_keys(client, "user:create", "team:create")
    response = client.post("/api/v1/events/replay", json={"key": "team:create", "dry_run": True})

    assert response.status_code == 200
    result = response.json()
    assert result["dry_run"] is True
    assert [e["id"] for e in result["events"]] == [pushed[1]["id"]]
    assert count_events(client) == 2


def test_a_replay_needs_ids_or_a_filter_but_not_both(client: TestClient) -> None:
    neither = client.post("/api/v1/events/replay", json={})
    both = client.post("/api/v1/events/replay", json={"event_ids": ["x"], "key": "a:b"})

    assert neither.status_code == 422
    assert "give event_ids, or a filter (key, since, until)" in neither.json()["error"]["message"]
    assert both.status_code == 422
    assert "not both" in both.json()["error"]["message"]


def test_listing_filters_by_values_in_the_payload(client: TestClient) -> None:
    bodies = [
        {"user": {"email": "ada@example.com", "vip": True}, "total": 42},
        {"user": {"email": "ada@example.com", "vip": False}, "total": "42"},
        {"user": {"email": "grace@example.com", "vip": True}, "total": 42.0},
    ]
    pushed = [client.post("/api/v1/events", json={"key": "a:b", "data": b}).json() for b in bodies]

    def ids(*where: str) -> list[str]:
        response = client.get("/api/v1/events", params={"where": list(where)})
        assert response.status_code == 200, response.text
        return [e["id"] for e in response.json()["items"]][::-1]

    assert ids("user.email=ada@example.com") == [pushed[0]["id"], pushed[1]["id"]]
    assert ids("user.email=ada@example.com", "user.vip=true") == [pushed[0]["id"]]
    assert ids("total=42") == [pushed[0]["id"], pushed[2]["id"]]
    assert ids('total="42"') == [pushed[1]["id"]]
    assert ids("user.missing=null") == []


def test_where_pages_over_the_matches_only(client: TestClient) -> None:
    for i in range(5):
        client.post("/api/v1/events", json={"key": "a:b", "data": {"i": i, "odd": i % 2 == 1}})

    first = client.get("/api/v1/events", params={"where": "odd=false", "limit": 2}).json()
    second = client.get(
        "/api/v1/events",
        params={"where": "odd=false", "limit": 2, "cursor": first["next_cursor"]},
    ).json()

    assert [e["data"]["i"] for e in first["items"]] == [4, 2]
    assert [e["data"]["i"] for e in second["items"]] == [0]
    assert second["next_cursor"] is None


def test_a_bad_where_is_a_422_saying_what_to_write(client: TestClient) -> None:
    messages = {}
    for where in ("no-equals", "=value", "user..email=x", "user.e mail=x", "a.b'; drop=1"):
        response = client.get("/api/v1/events", params={"where": ["a=1", where]})
        assert response.status_code == 422
        assert response.json()["error"]["code"] == "bad_where"
        messages[where] = response.json()["error"]["message"]

    assert messages == {
        "no-equals": "where: expected PATH=VALUE, e.g. user.email=ada@example.com; got 'no-equals'",
        "=value": "where: the path is empty: write PATH=VALUE, e.g. user.email=ada@example.com",
        "user..email=x": "where: bad path 'user..email': use object keys of letters, digits, "
        "'_' and '-' separated by '.', e.g. user.email",
        "user.e mail=x": "where: bad path 'user.e mail': use object keys of letters, digits, "
        "'_' and '-' separated by '.', e.g. user.email",
        "a.b'; drop=1": 'where: bad path "a.b\'; drop": use object keys of letters, digits, '
        "'_' and '-' separated by '.', e.g. user.email",
    }


def test_replay_sets_values_in_each_events_own_payload(client: TestClient) -> None:
    pushed = [
        client.post("/api/v1/events", json={"key": "user:create", "data": d}).json()
        for d in ({"user": {"email": "ada@example.com"}}, {"user": {"email": "bo@example.com"}})
    ]
    edits = [{"path": "user.vip", "value": True}, {"path": "source.name", "value": "replay"}]

    preview = client.post(
        "/api/v1/events/replay", json={"key": "user:*", "set": edits, "dry_run": True}
    )
    response = client.post("/api/v1/events/replay", json={"key": "user:*", "set": edits})

    expected = [
        {"user": {"email": "ada@example.com", "vip": True}, "source": {"name": "replay"}},
        {"user": {"email": "bo@example.com", "vip": True}, "source": {"name": "replay"}},
    ]
    assert preview.status_code == 200
    assert [e["id"] for e in preview.json()["events"]] == [p["id"] for p in pushed]
    assert [e["data"] for e in preview.json()["events"]] == expected
    assert response.status_code == 201
    assert [e["replayed_from_id"] for e in response.json()["events"]] == [p["id"] for p in pushed]
    assert [e["data"] for e in response.json()["events"]] == expected


def test_a_replay_edit_that_cannot_be_made_is_a_400_and_replays_nothing(
    client: TestClient,
) -> None:
    fine, stuck = push_keys(client, "user:create", "user:delete")  # data {"k": key}
    body = {"event_ids": [fine["id"], stuck["id"]], "set": [{"path": "k.sub", "value": 1}]}

    preview = client.post("/api/v1/events/replay", json={**body, "dry_run": True})
    response = client.post("/api/v1/events/replay", json=body)

    message = (
        f"event {fine['id']}: cannot set k.sub: k holds a string, not an object; "
        "nothing was replayed"
    )
    assert (preview.status_code, preview.json()["error"]["message"]) == (400, message)
    assert (response.status_code, response.json()["error"]["message"]) == (400, message)
    assert count_events(client) == 2


def test_a_replay_edit_with_a_bad_path_is_a_422(client: TestClient) -> None:
    (event,) = push_keys(client, "user:create")
    response = client.post(
        "/api/v1/events/replay",
        json={"event_ids": [event["id"]], "set": [{"path": "user..x", "value": 1}]},
    )

    assert response.status_code == 422
    assert response.json()["error"]["message"] == (
        "set[0]: bad path 'user..x': use object keys of letters, digits, '_' and "
        "'-' separated by '.', e.g. user.email"
    )
    assert count_events(client) == 1
