"""What `make test` prints and enforces suite-wide (tests/conftest.py): one line for the tests
skipped for want of PostgreSQL, saying how to run them; other skips keep their own reasons; and
every test runs under a timeout."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MIXED_SKIPS = "tests/store/test_shared_registry.py"
"""PostgreSQL cases skipped without it, and SQLite cases skipped for a reason of their own."""
SCALE_OUT = "tests/acceptance/test_scale_out.py"
"""Tests marked long(40) and long(150)."""


def run_pytest(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "HATCHET_TEST_DATABASE_URL"}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-n", "0", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        check=False,
        timeout=90,
    )


def test_without_postgresql_its_skips_are_one_line_saying_how_to_enable_them() -> None:
    done = run_pytest("-q", MIXED_SKIPS)

    assert done.returncode == 0, done.stdout + done.stderr
    skipped = [line for line in done.stdout.splitlines() if line.startswith("SKIPPED")]
    postgres = [line for line in skipped if "PostgreSQL" in line]
    assert len(postgres) == 1, "\n".join(skipped)
    assert "set HATCHET_TEST_DATABASE_URL=postgresql://" in postgres[0]
    # The count is every PostgreSQL case of the module, the reasons of the others are kept.
    cases = int(postgres[0].split("[", 1)[1].split("]", 1)[0])
    assert cases > 1
    others = [line for line in skipped if line not in postgres]
    assert others
    assert all("a SQLite file serves one daemon" in line for line in others)


def test_a_test_that_hangs_fails_with_the_timeout(tmp_path: Path) -> None:
    hangs = tmp_path / "test_hangs.py"
    hangs.write_text(
        "import threading\n\n"
        "import pytest\n\n\n"
        "@pytest.mark.timeout(1)\n"
        "def test_hangs():\n"
        "    threading.Event().wait()\n"
    )
    done = run_pytest("-q", "--rootdir", str(ROOT), "-c", str(ROOT / "pyproject.toml"), str(hangs))

    assert done.returncode == 1, done.stdout + done.stderr
    assert "Timeout (>1.0s)" in done.stdout


COLLECT_TIMEOUTS = """
import sys

import pytest


class Timeouts:
    def pytest_collection_finish(self, session):
        for item in session.items:
            marker = item.get_closest_marker("timeout")
            print("timeout", item.name, marker.args[0] if marker else None)


sys.exit(pytest.main([*sys.argv[1:], "--collect-only", "-q"], plugins=[Timeouts()]))
"""


def test_a_long_test_gets_three_times_its_seconds_where_that_is_over_the_default() -> None:
    done = subprocess.run(
        [sys.executable, "-c", COLLECT_TIMEOUTS, "-p", "no:cacheprovider", SCALE_OUT],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
        timeout=90,
    )

    assert done.returncode == 0, done.stdout + done.stderr
    given = dict(
        line.split()[1:] for line in done.stdout.splitlines() if line.startswith("timeout ")
    )
    assert given["test_the_next_cron_tick_fires_once_after_the_leader_is_killed"] == "450.0"
    # long(40): three times is 120 s, the default already.
    assert (
        given["test_a_killed_replica_s_runs_finish_on_the_others_and_nothing_runs_twice"] == "None"
    )
