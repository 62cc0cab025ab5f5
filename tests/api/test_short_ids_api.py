"""Ids as people type them: a unique prefix names an event or a run in every route."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from hatchetd.api.errors import ApiError
from hatchetd.api.ids import resolve_id

SIGN_UP = {"user": {"firstName": "Ada", "email": "ada@example.com"}}


def push(client: TestClient) -> dict[str, Any]:
    event: dict[str, Any] = client.post(
        "/api/v1/events", json={"key": "user:create", "data": SIGN_UP}
    ).json()
    return event


def test_an_event_is_found_by_a_prefix_of_its_id(client: TestClient) -> None:
    event = push(client)
    event_id = str(event["id"])
    shown = client.get(f"/api/v1/events/{event_id[:6]}")
    assert shown.status_code == 200
    assert shown.json()["event"]["id"] == event_id
    # Upper case, as someone might copy it from elsewhere, names the same event.
    assert client.get(f"/api/v1/events/{event_id[:8].upper()}").json()["event"]["id"] == event_id


def test_a_run_is_found_cancelled_and_its_logs_read_by_a_prefix(client: TestClient) -> None:
    event = push(client)
    (run_id,) = event["run_ids"]
    assert client.get(f"/api/v1/runs/{run_id[:5]}").json()["run"]["id"] == run_id
    assert client.get(f"/api/v1/runs/{run_id[:5]}/logs").json() == []
    cancelled = client.post(f"/api/v1/runs/{run_id[:5]}/cancel").json()
    assert cancelled["run"]["id"] == run_id
    assert cancelled["run"]["status"] == "CANCELLED"


def test_runs_are_filtered_by_a_prefix_of_their_event(client: TestClient) -> None:
    event = push(client)
    push(client)
    listed = client.get("/api/v1/runs", params={"event_id": str(event["id"])[:7]}).json()
    assert [r["id"] for r in listed["items"]] == event["run_ids"]


def test_a_replay_names_its_events_by_prefix(client: TestClient) -> None:
    event = push(client)
    replayed = client.post("/api/v1/events/replay", json={"event_ids": [str(event["id"])[:6]]})
    assert replayed.status_code == 201
    (again,) = replayed.json()["events"]
    assert again["replayed_from_id"] == event["id"]


@pytest.mark.parametrize(
    ("path", "status", "code"),
    [
        ("/api/v1/events/ffffffff", 404, "not_found"),
        ("/api/v1/events/abc", 422, "id_too_short"),
        ("/api/v1/events/not-an-id!", 404, "not_found"),
        ("/api/v1/runs/00000000", 404, "not_found"),
        ("/api/v1/runs/12", 422, "id_too_short"),
    ],
)
def test_a_prefix_that_names_nothing_is_refused(
    client: TestClient, path: str, status: int, code: str
) -> None:
    push(client)
    answer = client.get(path)
    assert answer.status_code == status
    assert answer.json()["error"]["code"] == code


def test_a_prefix_of_several_ids_is_ambiguous_and_lists_them() -> None:
    ids = [f"abcd{n}000-0000-4000-8000-000000000000" for n in range(7)]

    def candidates(prefix: str) -> list[str]:
        return [i for i in ids if i.startswith(prefix)]

    with pytest.raises(ApiError) as raised:
        resolve_id("abcd", "run", candidates)
    assert raised.value.status == 409
    assert raised.value.code == "ambiguous_id"
    assert raised.value.message == (
        f"'abcd' starts the ids of several runs ({', '.join(ids[:5])}, …); give more characters"
    )
    assert resolve_id("abcd3", "run", candidates) == ids[3]
    assert resolve_id(ids[6].upper(), "run", candidates) == ids[6]
