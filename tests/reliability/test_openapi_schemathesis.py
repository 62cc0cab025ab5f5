"""The API answers what its OpenAPI document says (issue 10, item 9).

Schemathesis reads `/openapi.json` from a live hatchetd and sends what the document allows and
what it does not: boundary values, random valid and invalid input, undeclared methods, requests
without the token, and chains that feed one answer's ids into the next request. It checks every
answer against the document (`--checks all`): no 5xx, only declared statuses, content types and
headers, bodies matching their schemas, invalid input refused and valid input taken, 405 with
`Allow`, 401 without the token. The run must find nothing, on SQLite and on PostgreSQL.

The seed is fixed and the examples bounded, so a run is repeatable and takes well under a
minute; a failure prints schemathesis' report (with a curl line to reproduce each case) and the
end of the daemon's log.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from acceptance_support import Daemon, start_daemon, stop

SEED = 7070
MAX_EXAMPLES = 20
"""Per operation and phase; the coverage phase adds its boundary cases to these."""
TOKEN = "openapi-schemathesis"
AUTHORIZATION = f"bearer {TOKEN}"  # lowercase: the scheme is case-insensitive (RFC 7235)
NOT_TESTED = {"/api/v1/workers/connect"}
"""Operations schemathesis.toml leaves out, with its reasons."""
HERE = Path(__file__).parent
RUN_DEADLINE = 300.0


@pytest.fixture
def guarded_daemon(folder: Path, database_url: str | None) -> Iterator[Daemon]:
    """A real hatchetd with a token (so the run checks auth too) whose log is kept.

    The log is read as it comes: a daemon whose pipe filled up would stop answering."""
    daemon = start_daemon(folder, database_url=database_url, HATCHET_TOKEN=TOKEN)
    assert daemon.process.stdout is not None
    reader = threading.Thread(target=daemon.output.extend, args=(daemon.process.stdout,))
    reader.start()
    yield daemon
    daemon.process.send_signal(signal.SIGTERM)
    reader.join(timeout=20)
    code = stop(daemon.process)
    assert code == 0, f"hatchetd exited {code} on SIGTERM"


@pytest.mark.long(15)
def test_the_api_answers_what_its_document_says(guarded_daemon: Daemon, tmp_path: Path) -> None:
    headers = {"Authorization": AUTHORIZATION}
    document = httpx.get(f"{guarded_daemon.address}/openapi.json", headers=headers).json()
    operations = sum(
        len(item) for path, item in document["paths"].items() if path not in NOT_TESTED
    )

    result = run_schemathesis(guarded_daemon.address, tmp_path)

    found_nothing = result.returncode == 0
    assert found_nothing, report(result, guarded_daemon)
    tested = re.search(r"^\s*Tested: (\d+)$", result.stdout, re.MULTILINE)
    assert tested is not None, result.stdout
    assert int(tested[1]) == operations, result.stdout


def run_schemathesis(address: str, workdir: Path) -> subprocess.CompletedProcess[str]:
    st = Path(sys.executable).with_name("st")
    env = {
        **os.environ,
        "SCHEMATHESIS_HOOKS": "openapi_hooks",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(HERE), os.environ.get("PYTHONPATH")])),
    }
    args = [
        str(st),
        "--config-file",
        str(HERE / "schemathesis.toml"),
        "run",
        f"{address}/openapi.json",
        "--checks",
        "all",
        "--seed",
        str(SEED),
        "--max-examples",
        str(MAX_EXAMPLES),
        "--workers",
        "1",
        "--header",
        f"Authorization: {AUTHORIZATION}",
        "--generation-database",
        "none",  # a database of past failures would make the run depend on earlier runs
        "--output-sanitize",
        "false",  # show the keys and the test token as sent: they are what reproduces a case
        "--no-color",
    ]
    # No check=True: a non-zero exit is a finding, reported by the test with the output.
    return subprocess.run(
        args,
        check=False,
        capture_output=True,
        text=True,
        env=env,
        cwd=workdir,
        timeout=RUN_DEADLINE,
    )


def report(result: subprocess.CompletedProcess[str], daemon: Daemon) -> str:
    """What schemathesis found, then the end of the daemon's log (a 500's traceback)."""
    found = result.stdout
    start = found.find("FAILURES")
    if start == -1:
        start = found.find("ERRORS")
    log = "".join(daemon.output[-60:])
    return (
        f"schemathesis exited {result.returncode}:\n{found[max(start, 0) :]}\n"
        f"{result.stderr}\n--- the end of hatchetd's log ---\n{log}"
    )
