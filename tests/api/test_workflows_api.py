"""`/api/v1/workflows` as the folder changes under a running daemon: what `hatchet workflows list`
and `show` are built on."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient

from hatchetd.settings import Settings

SIGN_UP_FILE = "post-user-sign-up.yaml"
BROKEN_ACTION = (
    "post-user-sign-up.yaml:14:17: jobs.create-resources.steps[0].action: "
    "must look like integration:verb"
)


def wait_for_listing(
    client: TestClient, done: Callable[[dict[str, Any]], bool], what: str
) -> dict[str, Any]:
    """Poll `GET /api/v1/workflows` until `done(listing)`: the watcher reloads on its own time."""
    deadline = time.monotonic() + 10
    while True:
        listing: dict[str, Any] = client.get("/api/v1/workflows").json()
        if done(listing):
            return listing
        assert time.monotonic() < deadline, f"{what} did not happen within 10 s: {listing}"
        time.sleep(0.02)


def edit(settings: Settings, old: str, new: str) -> None:
    path = settings.folder / SIGN_UP_FILE
    path.write_text(path.read_text().replace(old, new))


def test_a_file_that_stops_loading_keeps_its_last_good_version(
    client: TestClient, settings: Settings
) -> None:
    before = client.get("/api/v1/workflows/post-user-sign-up").json()

    edit(settings, "sandbox:create", "broken")
    listing = wait_for_listing(client, lambda w: bool(w["broken_files"]), "the reload")

    (workflow,) = listing["workflows"]
    assert workflow["active"] is True
    assert workflow["version_id"] == before["version_id"]
    assert workflow["errors"] == [BROKEN_ACTION]
    assert listing["broken_files"] == [{"file": SIGN_UP_FILE, "errors": [BROKEN_ACTION]}]
    assert client.get("/api/v1/workflows/post-user-sign-up").json() == workflow


def test_a_broken_template_keeps_the_last_good_version_and_points_inside_the_template(
    client: TestClient, settings: Settings
) -> None:
    before = client.get("/api/v1/workflows/post-user-sign-up").json()

    edit(settings, "{{ .input.user.firstName }}", "{{ .input.user.firstName | titel }}")
    listing = wait_for_listing(client, lambda w: bool(w["broken_files"]), "the reload")

    (workflow,) = listing["workflows"]
    assert workflow["active"] is True
    assert workflow["version_id"] == before["version_id"]
    assert workflow["errors"] == [
        "post-user-sign-up.yaml:24:50: jobs.greet-user.steps[0].with.firstName: "
        "unknown filter 'titel' (did you mean 'title'?)"
    ]


def test_a_file_that_never_loaded_is_listed_on_its_own(
    client: TestClient, settings: Settings
) -> None:
    (settings.folder / "bad.yml").write_text("name: x\njobs: {}\n")

    listing = wait_for_listing(client, lambda w: bool(w["broken_files"]), "the reload")

    assert [w["name"] for w in listing["workflows"]] == ["post-user-sign-up"]
    assert listing["workflows"][0]["errors"] == []
    assert listing["broken_files"] == [
        {"file": "bad.yml", "errors": ["bad.yml:2:7: jobs: a workflow needs at least one job"]}
    ]


def test_a_deleted_file_deactivates_its_workflow_and_keeps_its_history(
    client: TestClient, settings: Settings
) -> None:
    (settings.folder / SIGN_UP_FILE).unlink()

    listing = wait_for_listing(
        client, lambda w: not w["workflows"][0]["active"], "the deactivation"
    )

    (workflow,) = listing["workflows"]
    assert workflow["errors"] == []
    assert listing["broken_files"] == []
    versions = client.get("/api/v1/workflows/post-user-sign-up/versions").json()
    assert [v["id"] for v in versions] == [workflow["version_id"]]


def test_an_edit_adds_a_version_and_makes_it_current(
    client: TestClient, settings: Settings
) -> None:
    edit(settings, "version: v0.2.0", "version: v0.3.0")

    listing = wait_for_listing(
        client, lambda w: w["workflows"][0]["version"] == "v0.3.0", "the new version"
    )

    versions = client.get("/api/v1/workflows/post-user-sign-up/versions").json()
    assert [v["version"] for v in versions] == ["v0.2.0", "v0.3.0"]  # oldest first
    assert versions[-1]["id"] == listing["workflows"][0]["version_id"]
    assert versions[-1]["definition"]["version"] == "v0.3.0"


def test_an_unknown_workflow_is_a_404_naming_it(client: TestClient) -> None:
    for path in ("/api/v1/workflows/nope", "/api/v1/workflows/nope/versions"):
        response = client.get(path)
        assert response.status_code == 404
        assert response.json()["error"] == {
            "code": "not_found",
            "message": "no workflow named 'nope'",
        }
