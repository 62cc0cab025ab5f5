"""`hatchet workflows run`: a workflow started by hand, against an in-process daemon with a real
SDK worker where the run has to get somewhere."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from hatchet_cli.sdk import Worker
from hatchetd.contracts.runs import WorkflowRun
from tests.cli.conftest import Hatchet, normalise
from tests.live import run_worker, serve_daemon

NIGHTLY = """\
name: nightly-report
jobs:
  report:
    steps:
      - id: gather
        action: report:gather
        with:
          day: "{{ .day }}"
          to: "{{ .input.to | default('ops') }}"
"""
DAY = '{"day": "2026-12-04", "to": "ada"}'


@pytest.fixture
def hatchet(tmp_path: Path) -> Iterator[Hatchet]:
    """The daemon with the sign-up workflow and `nightly-report`, which has no triggers."""
    source = tmp_path / "nightly.yaml"
    source.write_text(NIGHTLY)
    with serve_daemon(tmp_path, workflows=[source]) as address:
        yield Hatchet(address)


@pytest.fixture
def report_worker(hatchet: Hatchet) -> Iterator[Worker]:
    """A real SDK worker serving `report:gather`: it returns its input."""
    with run_worker(hatchet.address, actions=["report:gather"]) as worker:
        yield worker


def started(hatchet: Hatchet, *args: str, stdin: str | None = None) -> dict[str, Any]:
    result = hatchet("workflows", "run", "nightly-report", *args, "-o", "json", stdin=stdin)
    assert result.exit_code == 0, result.stderr
    document: dict[str, Any] = json.loads(result.stdout)
    return document


def finished(hatchet: Hatchet, run_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + 15
    while True:
        trace: dict[str, Any] = json.loads(hatchet("runs", "show", run_id, "-o", "json").stdout)
        if trace["run"]["status"] not in ("PENDING", "RUNNING"):
            return trace
        assert time.monotonic() < deadline, f"run {run_id} did not finish: {trace['run']}"
        time.sleep(0.05)


def test_a_run_started_by_hand_runs_on_a_worker_with_its_input(
    hatchet: Hatchet, report_worker: Worker
) -> None:
    run = started(hatchet, "--input", DAY)

    WorkflowRun.model_validate(run)
    assert (run["workflow_name"], run["trigger"]) == ("nightly-report", "MANUAL")
    assert run["input"] == json.loads(DAY)
    trace = finished(hatchet, run["id"])
    assert trace["run"]["status"] == "SUCCEEDED"
    (step,) = trace["jobs"][0]["step_runs"]
    assert step["output"] == {"day": "2026-12-04", "to": "ada"}


def test_as_a_table_it_prints_the_run_and_says_how_to_follow_it(hatchet: Hatchet) -> None:
    result = hatchet("workflows", "run", "nightly-report")

    assert result.exit_code == 0, result.stderr
    assert [line.split() for line in normalise(result.stdout).splitlines()] == [
        ["ID", "WORKFLOW", "STATUS", "TRIGGER", "CREATED", "TOOK"],
        ["<id1>", "nightly-report", "RUNNING", "manual", "<time>", "-"],
    ]
    run_id = result.stdout.split()[6]
    assert result.stderr == (
        f"started run {run_id} of nightly-report; follow it: hatchet runs show {run_id}\n"
    )


def test_the_input_comes_from_a_file_or_stdin_and_defaults_to_empty(
    hatchet: Hatchet, tmp_path: Path
) -> None:
    (tmp_path / "day.json").write_text(DAY)

    from_file = started(hatchet, "--input", f"@{tmp_path / 'day.json'}")
    from_stdin = started(hatchet, "--input", "-", stdin=DAY)
    without = started(hatchet)

    assert from_file["input"] == from_stdin["input"] == json.loads(DAY)
    assert without["input"] == {}


def test_id_and_yaml_outputs(hatchet: Hatchet) -> None:
    by_id = hatchet("workflows", "run", "nightly-report", "-o", "id")
    as_yaml = hatchet("workflows", "run", "nightly-report", "-i", DAY, "-o", "yaml")

    assert normalise(by_id.stdout) == "<id1>\n"
    document = yaml.safe_load(as_yaml.stdout)
    assert (document["trigger"], document["input"]) == ("MANUAL", json.loads(DAY))


def test_an_idempotency_key_starts_one_run(hatchet: Hatchet) -> None:
    first = started(hatchet, "-i", DAY, "--idempotency-key", "nightly-2026-12-04")
    again = started(hatchet, "-i", DAY, "--idempotency-key", "nightly-2026-12-04")
    other = hatchet("workflows", "run", "nightly-report", "--idempotency-key", "nightly-2026-12-04")

    assert again == first
    assert other.exit_code == 6
    assert other.stderr.startswith("error: idempotency key 'nightly-2026-12-04' was already used")


def test_an_unknown_workflow_exits_3(hatchet: Hatchet) -> None:
    result = hatchet("workflows", "run", "nope")

    assert result.exit_code == 3
    assert result.stdout == ""
    assert result.stderr == "error: no workflow named 'nope'\n"


@pytest.mark.parametrize(
    ("given", "says"),
    [
        ("{nope", "error: --input: invalid JSON in the value: Expecting property name"),
        ("[1, 2]", "error: --input: expected a JSON object, got list\n"),
        ('{"a": "\\u0000"}', "error: input.a: contains a NUL character"),
    ],
    ids=["not JSON", "not an object", "not storable"],
)
def test_an_input_that_is_not_a_storable_object_exits_6(
    hatchet: Hatchet, given: str, says: str
) -> None:
    result = hatchet("workflows", "run", "nightly-report", "--input", given)

    assert result.exit_code == 6
    assert result.stdout == ""
    assert result.stderr.startswith(says)
    assert json.loads(hatchet("runs", "list", "-o", "json").stdout)["items"] == []


def test_runs_show_and_list_say_the_run_was_started_by_hand(hatchet: Hatchet) -> None:
    run = started(hatchet)

    shown = hatchet("runs", "show", run["id"])
    listed = hatchet("runs", "list")

    assert shown.exit_code == 0, shown.stderr
    assert normalise(shown.stdout).splitlines()[0] == (
        "run <id1>  nightly-report  RUNNING  manual  took -"
    )
    assert "manual" in listed.stdout.splitlines()[1].split()


def test_with_wait_it_prints_the_run_as_it_ended(hatchet: Hatchet, report_worker: Worker) -> None:
    result = hatchet("workflows", "run", "nightly-report", "--input", DAY, "--wait")

    assert result.exit_code == 0, result.stderr
    header, row = [line.split() for line in normalise(result.stdout).splitlines()]
    assert header == ["ID", "WORKFLOW", "STATUS", "TRIGGER", "CREATED", "TOOK"]
    assert row[:5] == ["<id1>", "nightly-report", "SUCCEEDED", "manual", "<time>"]
    assert row[5].endswith("ms") or row[5].endswith("s")  # how long it took, once it ended
    assert result.stderr.endswith("1 run succeeded\n")


def test_with_wait_and_json_it_prints_the_final_trace_with_outputs(
    hatchet: Hatchet, report_worker: Worker
) -> None:
    result = hatchet("workflows", "run", "nightly-report", "-i", DAY, "--wait", "-o", "json")

    assert result.exit_code == 0, result.stderr
    trace = json.loads(result.stdout)
    assert trace["run"]["status"] == "SUCCEEDED"
    assert trace["jobs"][0]["step_runs"][0]["output"] == {"day": "2026-12-04", "to": "ada"}


def test_a_wait_that_times_out_exits_1_saying_what_still_runs(hatchet: Hatchet) -> None:
    result = hatchet("workflows", "run", "nightly-report", "--wait", "--timeout", "0.2", "-o", "id")

    assert result.exit_code == 1
    run_id = result.stdout.strip()
    assert f"1 of 1 run not finished after 0.2s: {run_id} nightly-report RUNNING" in result.stderr


def test_timeout_goes_with_wait(hatchet: Hatchet) -> None:
    result = hatchet("workflows", "run", "nightly-report", "--timeout", "5")

    assert result.exit_code == 2
    assert "--timeout goes with --wait" in result.stderr
