"""hatchetd as a process: start, ready line, probes, refusals, hot reload, shutdown (design §7)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import httpx
import pytest
from acceptance_support import ROOT, Daemon, start_daemon, stop, wait_for

pytestmark = pytest.mark.acceptance


def run_hatchetd(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run hatchetd expecting it to refuse to start (so it exits by itself)."""
    return subprocess.run(
        [sys.executable, "-m", "hatchetd", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        cwd=ROOT,
        timeout=30,
        check=False,
    )


def test_the_ready_line_names_address_store_and_folder(daemon: Daemon) -> None:
    ready = daemon.output[-1]
    assert ready.startswith("hatchetd ")
    assert f"ready on {daemon.address}" in ready
    assert "store " in ready
    assert f"watching {daemon.folder}" in ready


def test_state_lives_beside_the_folder_with_a_gitignore(folder: Path) -> None:
    daemon = start_daemon(folder)
    try:
        state = folder.parent / ".hatchetd"
        assert (state / ".gitignore").read_text().strip().endswith("*")
        assert (state / "hatchet.db").exists()
        assert daemon.address in (state / "daemon.json").read_text()
        assert not any(p.name.startswith("hatchet.db") for p in folder.iterdir())
    finally:
        assert stop(daemon.process) == 0
    assert not (folder.parent / ".hatchetd" / "daemon.json").exists()


def test_probes_answer(daemon: Daemon) -> None:
    assert daemon.get("/livez") == {"status": "ok"}
    assert daemon.get("/readyz") == {"status": "ready"}
    assert "paths" in daemon.get("/openapi.json")


def test_a_taken_port_is_a_clear_error(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = run_hatchetd("--dir", str(tmp_path / ".hatchet"), "--port", str(port))
    assert done.returncode == 1
    assert f"port {port} on 127.0.0.1 is already in use" in done.stderr
    assert "Traceback" not in done.stderr


def test_listening_beyond_loopback_needs_a_token(tmp_path: Path) -> None:
    done = run_hatchetd("--dir", str(tmp_path / ".hatchet"), "--host", "0.0.0.0", "--port", "0")
    assert done.returncode == 2
    assert "refusing to listen on 0.0.0.0 without a token: set HATCHET_TOKEN" in done.stderr


def test_a_database_that_cannot_be_opened_is_a_clear_error(tmp_path: Path) -> None:
    done = run_hatchetd(
        "--dir",
        str(tmp_path / ".hatchet"),
        "--port",
        "0",
        "--db",
        "postgresql://nobody:secret@127.0.0.1:1/none",
    )
    assert done.returncode == 1
    assert "cannot open the database" in done.stderr
    assert "secret" not in done.stderr
    assert "Traceback" not in done.stderr


def test_a_second_daemon_on_a_sqlite_file_is_refused_until_the_first_dies(
    tmp_path: Path, folder: Path
) -> None:
    first = start_daemon(folder)
    state = folder.parent / ".hatchetd"
    address_file = (state / "daemon.json").read_text()
    try:
        refusals = [
            # The usual mistake: hatchetd started twice on one project, so on its default file.
            run_hatchetd("--dir", str(folder), "--port", "0"),
            # Another project naming the same file.
            run_hatchetd(
                "--dir", str(tmp_path / "other" / ".hatchet"), "--port", "0",
                "--db", f"sqlite:///{state / 'hatchet.db'}",
            ),
        ]  # fmt: skip
        for done in refusals:
            assert done.returncode == 1
            assert "Traceback" not in done.stderr
            assert [line for line in done.stderr.splitlines() if line.startswith("hatchetd")] == [
                f"hatchetd: the SQLite database {state / 'hatchet.db'} is in use by another "
                f"hatchetd (pid {first.process.pid} on host {socket.gethostname()}); SQLite serves "
                "one daemon at a time — stop that one, use another --db, or use PostgreSQL to "
                "run several"
            ]
        assert (state / "daemon.json").read_text() == address_file  # still the first's
        assert first.get("/readyz") == {"status": "ready"}

        first.process.send_signal(signal.SIGKILL)  # no close, no goodbye: the lock dies with it
        first.process.wait()
    finally:
        stop(first.process)  # reaps it and closes its pipe
    again = start_daemon(folder)
    assert stop(again.process) == 0


def test_a_token_guards_every_route_but_the_probes(folder: Path) -> None:
    daemon = start_daemon(folder, HATCHET_TOKEN="s3cret")
    try:
        with httpx.Client(base_url=daemon.address) as client:
            refused = client.get("/api/v1/events")
            assert refused.status_code == 401
            assert refused.json()["error"]["code"] == "unauthorized"
            assert client.get("/livez").status_code == 200
            allowed = client.get("/api/v1/events", headers={"Authorization": "Bearer s3cret"})
            assert allowed.status_code == 200
    finally:
        assert stop(daemon.process) == 0


def test_saved_broken_and_deleted_files_are_reloaded(daemon: Daemon) -> None:
    path = daemon.folder / "hello.yaml"
    path.write_text(
        textwrap.dedent(
            """\
            name: hello
            on: [hello:world]
            jobs:
              main:
                steps:
                  - id: say
                    action: echo:echo
            """
        )
    )

    def workflow() -> dict[str, Any] | None:
        for w in daemon.get("/api/v1/workflows")["workflows"]:
            if w["name"] == "hello":
                return dict(w)
        return None

    first = wait_for(workflow, what="hello.yaml to load")
    assert first["active"] is True

    path.write_text(path.read_text().replace("echo:echo", "broken"))
    broken = wait_for(lambda: (w := workflow()) and w["errors"] and w, what="the error to show")
    assert broken["version_id"] == first["version_id"]  # the last good version stays
    assert broken["errors"] == [
        "hello.yaml:7:17: jobs.main.steps[0].action: must look like integration:verb"
    ]

    path.unlink()
    wait_for(lambda: (w := workflow()) is not None and not w["active"], what="deactivation")
