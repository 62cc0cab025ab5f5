"""`hatchet runs rerun`: through the daemon (served in this process) and a real SDK worker whose
second step fails the first time — a rerun from the failed step finishes the run without
running the first step again."""

from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from hatchet_cli.sdk import Context
from hatchetd.contracts.runs import RunTrace
from tests.cli.conftest import UUID, Hatchet
from tests.live import run_worker, serve_daemon

FLAKY = """\
name: flaky-delivery
jobs:
  deliver:
    steps:
      - id: prepare
        action: flaky:prepare
      - id: send
        action: flaky:send
        with: {parcel: "{{ .steps.prepare.parcel }}", to: "{{ .input.to }}"}
"""


class Flaky:
    """The worker's actions: `prepare` makes a parcel, `send` fails its first time only. Counts
    what ran."""

    def __init__(self) -> None:
        self.ran: Counter[str] = Counter()
        self._lock = threading.Lock()

    def __call__(self, input: Any, ctx: Context) -> Any:
        with self._lock:
            self.ran[ctx.action] += 1
            count = self.ran[ctx.action]
        if ctx.action == "flaky:prepare":
            return {"parcel": f"parcel-{count}"}
        if count == 1:
            raise RuntimeError("the courier did not come")
        return {"sent": input}


@pytest.fixture
def hatchet(tmp_path: Path) -> Iterator[Hatchet]:
    source = tmp_path / "flaky.yaml"
    source.write_text(FLAKY)
    with serve_daemon(tmp_path, workflows=[source]) as address:
        yield Hatchet(address)


@pytest.fixture
def flaky(hatchet: Hatchet) -> Iterator[Flaky]:
    actions = Flaky()
    with run_worker(hatchet.address, actions, actions=["flaky:prepare", "flaky:send"]):
        yield actions


def failed_run(hatchet: Hatchet) -> str:
    """Start the workflow by hand and wait for it to fail; its id."""
    started = hatchet("workflows", "run", "flaky-delivery", "--input", '{"to": "ada"}', "-o", "id")
    assert started.exit_code == 0, started.stderr
    run_id = started.stdout.strip()
    watched = hatchet("runs", "show", run_id, "--watch", "-o", "json")
    assert watched.exit_code == 1, watched.stderr  # it failed
    return run_id


def test_a_rerun_from_the_failed_step_does_not_run_the_earlier_step_again(
    hatchet: Hatchet, flaky: Flaky
) -> None:
    original = failed_run(hatchet)
    assert flaky.ran == Counter({"flaky:prepare": 1, "flaky:send": 1})

    result = hatchet("runs", "rerun", original[:8], "--from-failed", "--wait", "-o", "json")

    assert result.exit_code == 0, result.stderr
    trace = RunTrace.model_validate_json(result.stdout)
    assert trace.run.status == "SUCCEEDED"
    assert trace.run.rerun_of_id == original
    assert trace.output("prepare") == {"parcel": "parcel-1"}  # kept from the first run
    assert trace.output("send") == {"sent": {"parcel": "parcel-1", "to": "ada"}}
    assert flaky.ran == Counter({"flaky:prepare": 1, "flaky:send": 2})
    shown = hatchet("runs", "show", original)
    assert f"rerun as {trace.run.id}" in shown.stdout
    again = hatchet("runs", "show", trace.run.id)
    assert f"rerun of {original}" in again.stdout


def test_a_whole_rerun_runs_every_step_and_prints_the_new_run(
    hatchet: Hatchet, flaky: Flaky
) -> None:
    original = failed_run(hatchet)

    result = hatchet("runs", "rerun", original)

    assert result.exit_code == 0, result.stderr
    (new_id,) = [i for i in UUID.findall(result.stdout) if i != original]
    assert f"started run {new_id}, a rerun of {original}" in result.stderr
    watched = hatchet("runs", "show", new_id, "--watch", "-o", "json")
    assert watched.exit_code == 0, watched.stderr
    assert flaky.ran == Counter({"flaky:prepare": 2, "flaky:send": 2})
    assert json.loads(watched.stdout)["run"]["rerun_of_id"] == original


def test_o_id_prints_only_the_new_run_id_and_a_key_starts_it_once(
    hatchet: Hatchet, flaky: Flaky
) -> None:
    original = failed_run(hatchet)

    first = hatchet("runs", "rerun", original, "--idempotency-key", "k1", "-o", "id")
    second = hatchet("runs", "rerun", original, "--idempotency-key", "k1", "-o", "id")

    assert first.exit_code == second.exit_code == 0
    assert UUID.fullmatch(first.stdout.strip())
    assert second.stdout == first.stdout
    shown = json.loads(hatchet("runs", "show", original, "-o", "json").stdout)
    assert shown["rerun_ids"] == [first.stdout.strip()]


def test_what_cannot_be_rerun_exits_with_one_line(hatchet: Hatchet) -> None:
    unknown = hatchet("runs", "rerun", "ffffffff")
    usage = hatchet("runs", "rerun", "ffffffff", "--timeout", "3")

    assert (unknown.exit_code, unknown.stdout) == (3, "")
    assert unknown.stderr == "error: no run with an id starting 'ffffffff'\n"
    assert usage.exit_code == 2
    assert "--timeout goes with --wait" in usage.stderr


def test_from_failed_on_a_run_that_succeeded_exits_6(hatchet: Hatchet, flaky: Flaky) -> None:
    rerun = hatchet("runs", "rerun", failed_run(hatchet), "--from-failed", "--wait", "-o", "id")
    assert rerun.exit_code == 0, rerun.stderr
    succeeded = rerun.stdout.strip()

    result = hatchet("runs", "rerun", succeeded, "--from-failed")

    assert result.exit_code == 6
    assert result.stderr == (
        f"error: run {succeeded} has no failed or cancelled step to rerun from; rerun it whole "
        "instead\n"
    )
