"""`client.workflows.run`: starting a workflow by hand, sent again with the same idempotency key
as a push is. The daemon is the stand-in of `stand_in_daemon.py`; what a real one does with the
request: tests/api/test_manual_runs_api.py."""

from __future__ import annotations

import uuid

import pytest

from hatchet_cli import Client, DaemonNotAnswering, HatchetError
from hatchetd.contracts.enums import TriggerKind
from hatchetd.contracts.runs import WorkflowRun
from tests.unit.stand_in_daemon import Answer, Daemon
from tests.unit.test_sdk_client_retries import BUSY, answers, keys

RUN = {
    "id": "0c0ffee0-0000-4000-8000-000000000001",
    "workflow_name": "nightly-report",
    "workflow_version_id": "sha256:abc",
    "trigger": "MANUAL",
    "input": {"day": "2026-12-04"},
    "idempotency_key": "nightly-2026-12-04",
    "status": "RUNNING",
    "created_at": "2026-12-04T02:00:00Z",
    "started_at": "2026-12-04T02:00:00Z",
}


def test_run_posts_the_input_and_returns_the_run(daemon: Daemon) -> None:
    daemon.reply = lambda seen: Answer(201, json=RUN)

    with Client(daemon.address) as client:
        run = client.workflows.run(
            "nightly-report", {"day": "2026-12-04"}, idempotency_key="nightly-2026-12-04"
        )

    assert run == WorkflowRun.model_validate(RUN)
    assert (run.trigger, run.input) == (TriggerKind.MANUAL, {"day": "2026-12-04"})
    (request,) = daemon.seen
    assert (request.method, request.path) == ("POST", "/api/v1/workflows/nightly-report/runs")
    assert request.json() == {
        "input": {"day": "2026-12-04"},
        "idempotency_key": "nightly-2026-12-04",
    }


def test_run_without_input_sends_an_empty_object_and_a_new_key_each_time(daemon: Daemon) -> None:
    daemon.reply = lambda seen: Answer(201, json=RUN)

    with Client(daemon.address) as client:
        client.workflows.run("a b/c")
        client.workflows.run("a b/c")

    first, second = (seen.json() for seen in daemon.seen)
    assert daemon.seen[0].path == "/api/v1/workflows/a%20b%2Fc/runs"
    assert first["input"] == {}
    assert str(uuid.UUID(first["idempotency_key"])) == first["idempotency_key"]
    assert second["idempotency_key"] != first["idempotency_key"]


def test_a_503_is_retried_with_the_same_key(daemon: Daemon) -> None:
    daemon.reply = answers(Answer(503, json=BUSY), Answer(reset=True), Answer(201, json=RUN))

    with Client(daemon.address) as client:
        run = client.workflows.run("nightly-report", {"day": "2026-12-04"})

    assert run.id == RUN["id"]
    assert len(daemon.seen) == 3
    assert len(set(keys(daemon))) == 1


def test_no_answer_within_the_bound_names_the_key_to_start_it_again_with(daemon: Daemon) -> None:
    daemon.reply = lambda seen: Answer(201, json=RUN, delay=10)

    with (
        Client(daemon.address, timeout=0.2, retry_for=0.5) as client,
        pytest.raises(DaemonNotAnswering) as caught,
    ):
        client.workflows.run("nightly-report")

    (key,) = set(keys(daemon))
    assert caught.value.idempotency_key == key
    assert str(caught.value).endswith(
        f"the run may have been started: start it again with idempotency key {key} to start it once"
    )


def test_a_refusal_is_the_daemons_error(daemon: Daemon) -> None:
    refusal = {"error": {"code": "not_found", "message": "no workflow named 'nope'"}}
    daemon.reply = lambda seen: Answer(404, json=refusal)

    with Client(daemon.address) as client, pytest.raises(HatchetError) as caught:
        client.workflows.run("nope")

    assert (caught.value.status, caught.value.code) == (404, "not_found")
    assert len(daemon.seen) == 1
