"""`make demo` works: the daemon, the example worker, a pushed event and its finished run."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from acceptance_support import ROOT

from tests.live import copy_example

pytestmark = pytest.mark.acceptance


# The demo's own 120 s bound (below) fails first, with its output.
@pytest.mark.timeout(180)
def test_the_demo_runs_the_sign_up_workflow_to_success(tmp_path: Path) -> None:
    # On a copy of what ships: the user's own workflows in .hatchet/ may listen to user:create.
    folder = copy_example(tmp_path / ".hatchet")
    done = subprocess.run(
        [sys.executable, str(ROOT / "examples/demo.py"), "--dir", str(folder)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "HATCHET_DATABASE_URL": f"sqlite:///{tmp_path / 'demo.db'}"},
        timeout=120,
        check=False,
    )

    assert done.returncode == 0, done.stdout + done.stderr
    assert " ready on http://127.0.0.1:" in done.stdout
    assert "post-user-sign-up  SUCCEEDED" in done.stdout
    for step in ("createSandbox", "greetUser", "addUserToNewsletter"):
        assert f"step {step} " in done.stdout
