"""`hatchet status` and `hatchet workers list`, and what every command does without a daemon."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from hatchet_cli.cli.app import app
from tests.cli.conftest import Hatchet


def test_status_json_is_the_api_shape(hatchet: Hatchet) -> None:
    result = hatchet("status", "-o", "json")
    assert result.exit_code == 0
    status = json.loads(result.stdout)
    assert sorted(status) == [
        "address",
        "folder",
        "folder_drift",
        "leader",
        "queue_depth",
        "replica_id",
        "replicas",
        "started_at",
        "store",
        "unserved_actions",
        "version",
        "workers",
    ]
    assert status["workers"] == 0
    assert (status["leader"], status["replicas"], status["folder_drift"]) == (True, 1, [])


def test_status_as_text(hatchet: Hatchet) -> None:
    result = hatchet("status")
    assert result.exit_code == 0
    labels = [line.split(":")[0] for line in result.stdout.splitlines()]
    assert labels == [
        "address",
        "version",
        "store",
        "folder",
        "started",
        "workers",
        "queue depth",
        "replica",
        # no worker is connected: the sign-up workflow's three actions
        "unserved",
        "unserved",
        "unserved",
    ]
    assert "(leader, alone on its store)" in result.stdout


def test_workers_list_with_no_workers(hatchet: Hatchet) -> None:
    assert hatchet("workers", "list", "-o", "json").stdout == "[]\n"
    result = hatchet("workers", "list")
    assert result.stdout == "ID  NAME  STATUS  SLOTS  RUNNING  LAST HEARTBEAT  ACTIONS\n"
    assert result.stderr == "no workers\n"


@pytest.mark.parametrize(
    "args",
    [
        ["status"],
        ["workers", "list"],
        ["events", "list"],
        ["events", "push", "user:create"],
        ["events", "show", "x"],
        ["events", "replay", "x"],
        ["runs", "list"],
        ["runs", "show", "x"],
        ["runs", "cancel", "x"],
        ["runs", "logs", "x"],
    ],
)
def test_an_unreachable_daemon_exits_5_naming_hatchetd(
    closed_address: str, args: list[str]
) -> None:
    result = CliRunner().invoke(app, ["--address", closed_address, *args])
    assert result.exit_code == 5
    assert result.stdout == ""
    assert result.stderr.startswith(f"error: cannot reach the hatchet daemon at {closed_address} (")
    assert result.stderr.endswith("); start it with `hatchetd`, or point HATCHET_ADDRESS at it\n")


def test_the_address_comes_from_hatchet_address(
    closed_address: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HATCHET_ADDRESS", closed_address)
    result = CliRunner().invoke(app, ["status"])
    assert result.exit_code == 5
    assert closed_address in result.stderr
