"""`hatchet_cli.testing.WorkflowEnvironment`: a temporary daemon, the user's workflow files and
workers, started and stopped by the test itself (the examples' own test uses it in earnest:
examples/test_examples.py)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from hatchet_cli.sdk import Context, Worker
from hatchet_cli.testing import EnvironmentNotReady, WorkflowEnvironment

NIGHTLY = """\
name: nightly
jobs:
  report:
    steps:
      - id: count
        action: report:count
        with: {day: "{{ .day }}"}
      - id: mail
        action: report:mail
        with: {lines: "{{ .steps.count.lines }}"}
"""


def report_worker() -> Worker:
    worker = Worker("report-worker", slots=2)

    @worker.action("report:count")
    def count(input: dict[str, str], ctx: Context) -> dict[str, int]:
        return {"lines": len(input["day"])}

    @worker.action("report:mail")
    def mail(input: dict[str, str], ctx: Context) -> dict[str, str]:
        return {"sent": f"{input['lines']} lines", "run": ctx.workflow_run_id}

    return worker


def test_a_workflow_runs_on_the_users_worker_and_everything_stops_after(tmp_path: Path) -> None:
    (tmp_path / "nightly.yaml").write_text(NIGHTLY)

    with WorkflowEnvironment(tmp_path / "nightly.yaml", workers=[report_worker()]) as env:
        trace = env.run("nightly", {"day": "2026-12-04"})
        address = env.address
        daemon = env._daemon
        assert daemon is not None

    assert trace.run.status == "SUCCEEDED"
    assert trace.output("count") == {"lines": 10}
    assert trace.output("mail") == {"sent": "10 lines", "run": trace.run.id}
    assert daemon.poll() is not None  # the daemon is gone
    assert env.address is None
    assert address is not None


def test_a_workflow_file_that_does_not_load_fails_the_start_with_its_error(
    tmp_path: Path,
) -> None:
    (tmp_path / "broken.yaml").write_text("name: broken\njobs: {}\n")

    with pytest.raises(EnvironmentNotReady, match=r"broken\.yaml") as raised:
        WorkflowEnvironment(tmp_path).start()
    assert "do not load" in str(raised.value)

    with WorkflowEnvironment(tmp_path, allow_invalid=True) as env:
        assert env.client.workflows.list().broken_files[0].file == "broken.yaml"


def test_no_workflow_files_is_said_before_anything_starts(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="no workflow files"):
        WorkflowEnvironment(tmp_path)
    with pytest.raises(FileNotFoundError, match="no workflow file or folder"):
        WorkflowEnvironment(tmp_path / "missing.yaml")


def test_the_users_environment_does_not_leak_into_the_temporary_daemon(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "nightly.yaml").write_text(NIGHTLY)
    monkeypatch.setenv("HATCHET_TOKEN", "their-production-token")
    monkeypatch.setenv("HATCHET_PORT", "1")
    worker = report_worker()

    with WorkflowEnvironment(tmp_path, workers=[worker]) as env:
        assert env.run("nightly", {"day": "x"}).run.status == "SUCCEEDED"
    assert os.environ["HATCHET_TOKEN"] == "their-production-token"
