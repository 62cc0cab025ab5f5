"""Push an event to a real hatchetd and watch a real worker run the workflow it triggers."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from acceptance_support import (
    ROOT,
    Daemon,
    Workers,
    copy_workflows,
    push,
    steps_of,
    wait_for,
    wait_until_loaded,
)

pytestmark = pytest.mark.acceptance


def test_the_sign_up_workflow_runs_its_three_jobs_in_parallel(
    daemon: Daemon, workers: Workers
) -> None:
    shutil.copy(ROOT / ".hatchet/post-user-sign-up.yaml", daemon.folder)
    wait_until_loaded(daemon, "post-user-sign-up")
    workers.start(daemon)

    event = push(daemon, "user:create", {"user": {"firstName": "Ada", "email": "ada@example.com"}})
    (run_id,) = event["run_ids"]
    trace = daemon.wait_for_run(run_id)

    assert trace["run"]["status"] == "SUCCEEDED"
    assert [j["job_run"]["job_name"] for j in trace["jobs"]] == [
        "create-resources",
        "greet-user",
        "add-to-newsletter",
    ]
    steps = steps_of(trace)
    assert steps["greetUser"]["input"] == {"firstName": "Ada", "email": "ada@example.com"}
    assert steps["addUserToNewsletter"]["input"] == {"email": "ada@example.com"}
    for step in steps.values():
        assert step["status"] == "SUCCEEDED"
        assert step["worker_id"]
        assert step["created_at"] <= step["assigned_at"] <= step["started_at"]
        assert step["started_at"] <= step["finished_at"]


def test_the_three_step_chain_templates_each_others_output(
    daemon: Daemon, workers: Workers
) -> None:
    copy_workflows(daemon.folder, "upstream/simple--sample-workflow.yaml")
    wait_until_loaded(daemon, "post-user-sign-up")
    workers.start(daemon)

    event = push(daemon, "user:create", {"username": "ada"})
    trace = daemon.wait_for_run(event["run_ids"][0])

    assert trace["run"]["status"] == "SUCCEEDED"
    steps = steps_of(trace)
    assert steps["echo1"]["input"] == {"message": "Username is ada"}
    assert steps["echo2"]["input"] == {"message": "Above message is: Username is ada"}
    assert steps["echo3"]["input"] == {
        "message": "Above message is: Above message is: Username is ada"
    }
    assert steps["echo3"]["output"]["message"] == steps["echo3"]["input"]["message"]


def test_a_whole_expression_passes_an_object_to_the_next_step(
    daemon: Daemon, workers: Workers
) -> None:
    copy_workflows(daemon.folder, "upstream/yaml--sample-workflow.yaml")
    wait_until_loaded(daemon, "post-user-sign-up")
    workers.start(daemon)

    event = push(daemon, "user:create", {"username": "ada"})
    trace = daemon.wait_for_run(event["run_ids"][0])

    assert trace["run"]["status"] == "SUCCEEDED"
    steps = steps_of(trace)
    assert isinstance(steps["testObject"]["input"]["object"], dict)
    assert steps["testObject"]["input"]["object"] == steps["echo3"]["output"]["json"]


def test_a_step_waits_for_a_worker_with_its_action(daemon: Daemon, workers: Workers) -> None:
    copy_workflows(daemon.folder, "upstream/requeue--job-requeue-workflow.yaml")
    wait_until_loaded(daemon, "test-step-requeue")

    event = push(daemon, "example:event", {})
    run_id = event["run_ids"][0]
    trace = daemon.get(f"/api/v1/runs/{run_id}")
    assert steps_of(trace)["requeue"]["status"] == "PENDING_ASSIGNMENT"

    workers.start(daemon)
    trace = daemon.wait_for_run(run_id)
    assert trace["run"]["status"] == "SUCCEEDED"


def test_an_event_with_no_matching_workflow_is_stored_with_no_runs(daemon: Daemon) -> None:
    event = push(daemon, "nobody:listens", {"x": 1})

    assert event["run_ids"] == []
    shown = daemon.get(f"/api/v1/events/{event['id']}")
    assert shown["event"]["data"] == {"x": 1}
    assert shown["runs"] == []


def test_replay_runs_the_workflow_again_and_links_the_events(
    daemon: Daemon, workers: Workers
) -> None:
    copy_workflows(daemon.folder, "upstream/simple--sample-workflow.yaml")
    wait_until_loaded(daemon, "post-user-sign-up")
    workers.start(daemon)
    original = push(daemon, "user:create", {"username": "ada"})
    daemon.wait_for_run(original["run_ids"][0])

    response = daemon.post(
        "/api/v1/events/replay", {"event_ids": [original["id"]], "data": {"username": "grace"}}
    )
    assert response.status_code == 201, response.text
    (replay,) = response.json()["events"]
    trace = daemon.wait_for_run(replay["run_ids"][0])

    assert replay["replayed_from_id"] == original["id"]
    assert steps_of(trace)["echo1"]["input"] == {"message": "Username is grace"}
    again = daemon.get(f"/api/v1/events/{original['id']}")
    assert again["event"]["replay_ids"] == [replay["id"]]


def test_a_worker_killed_mid_step_leaves_no_step_running(
    folder: Path, database_url: str | None, workers: Workers
) -> None:
    from acceptance_support import start_daemon, stop

    daemon = start_daemon(folder, database_url=database_url, HATCHET_HEARTBEAT_INTERVAL="0.2")
    try:
        copy_workflows(folder, "upstream/timeout--step-timeout-workflow.yaml")
        wait_until_loaded(daemon, "test-step-timeout")
        worker = workers.start(daemon)
        event = push(daemon, "user:create", {})
        run_id = event["run_ids"][0]
        wait_for(
            lambda: (
                steps_of(daemon.get(f"/api/v1/runs/{run_id}"))["timeout"]["status"] == "RUNNING"
            ),
            what="the step to start",
        )

        worker.kill()
        worker.wait()
        trace = daemon.wait_for_run(run_id)

        steps = steps_of(trace)
        assert trace["run"]["status"] == "FAILED"
        assert steps["timeout"]["status"] == "CANCELLED"
        assert steps["timeout"]["cancel_reason"] == "WORKER_LOST"
        assert steps["later-step"]["status"] == "CANCELLED"
        assert steps["later-step"]["cancel_reason"] == "PREVIOUS_STEP_FAILED"
    finally:
        assert stop(daemon.process) == 0
