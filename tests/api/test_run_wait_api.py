"""`GET /api/v1/runs/{id}/wait`: the daemon holds the request until the run is final or the
seconds asked for have passed, following its change stream; in process."""

from __future__ import annotations

import time
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from fastapi.testclient import TestClient

SIGN_UP = {"user": {"firstName": "Ada", "email": "ada@example.com"}}


def started_run(client: TestClient) -> str:
    event = client.post("/api/v1/events", json={"key": "user:create", "data": SIGN_UP}).json()
    run_id: str = event["run_ids"][0]
    return run_id


def wait_in_background(client: TestClient, run_id: str, timeout: float) -> Future[Any]:
    pool = ThreadPoolExecutor(1)
    waiting = pool.submit(client.get, f"/api/v1/runs/{run_id}/wait", params={"timeout": timeout})
    pool.shutdown(wait=False)
    return waiting


def subscribed(client: TestClient) -> None:
    """Until the wait's subscription to the change stream is open."""
    hub = client.app.state.services.changes  # type: ignore[attr-defined]
    deadline = time.monotonic() + 10
    while not hub._subscriptions:
        assert time.monotonic() < deadline, "the wait never subscribed"
        time.sleep(0.005)


def test_a_run_that_ends_meanwhile_answers_the_wait_with_its_final_trace(
    client: TestClient,
) -> None:
    run_id = started_run(client)
    waiting = wait_in_background(client, run_id, 30)
    subscribed(client)

    client.post(f"/api/v1/runs/{run_id}/cancel")
    answer = waiting.result(timeout=20)

    assert answer.status_code == 200
    trace = answer.json()
    assert trace["run"]["status"] == "CANCELLED"
    assert {s["status"] for j in trace["jobs"] for s in j["step_runs"]} == {"CANCELLED"}


def test_a_final_run_is_answered_at_once(client: TestClient) -> None:
    run_id = started_run(client)
    client.post(f"/api/v1/runs/{run_id}/cancel")

    began = time.monotonic()
    answer = client.get(f"/api/v1/runs/{run_id[:8]}/wait", params={"timeout": 30})

    assert answer.status_code == 200
    assert answer.json()["run"]["id"] == run_id  # a unique prefix will do
    assert answer.json()["run"]["status"] == "CANCELLED"
    assert time.monotonic() - began < 10  # not held for the 30 s asked


def test_a_run_still_going_is_answered_as_it_is_when_the_time_is_up(client: TestClient) -> None:
    run_id = started_run(client)

    began = time.monotonic()
    answer = client.get(f"/api/v1/runs/{run_id}/wait", params={"timeout": 0.3})

    assert answer.status_code == 200
    assert answer.json()["run"]["status"] == "RUNNING"
    assert time.monotonic() - began >= 0.3
    assert not client.app.state.services.changes._subscriptions  # type: ignore[attr-defined]


def test_a_wait_in_flight_when_the_daemon_drains_is_a_503_to_ask_again(
    client: TestClient,
) -> None:
    run_id = started_run(client)
    waiting = wait_in_background(client, run_id, 30)
    subscribed(client)

    services = client.app.state.services  # type: ignore[attr-defined]
    client.portal.call(services.drain)  # type: ignore[union-attr]
    answer = waiting.result(timeout=20)

    assert answer.status_code == 503
    error = answer.json()["error"]
    assert error["code"] == "unavailable"
    assert "wait again" in error["message"]  # the wait's own answer, not the drain gate's
    assert answer.headers["Retry-After"]


def test_bad_waits_are_refused(client: TestClient) -> None:
    run_id = started_run(client)

    assert client.get("/api/v1/runs/nope/wait").status_code == 404
    for timeout in ("61", "-1", "soon"):
        answer = client.get(f"/api/v1/runs/{run_id}/wait", params={"timeout": timeout})
        assert answer.status_code == 422, timeout
