"""`hatchet dev`'s choices that need no process: which worker a saved file restarts, how the
workers are named in the log, and how one line is written."""

from __future__ import annotations

import io
import socket
from pathlib import Path

from hatchet_cli.cli.dev_processes import LogSink
from hatchet_cli.cli.dev_supervisor import affected, port_taken, worker_names

PROJECT = Path("/project")
WORKER = PROJECT / "worker.py"
BILLING = PROJECT / "billing_worker.py"
NESTED = PROJECT / "services/mail/worker.py"


def test_saving_a_worker_script_restarts_that_worker_alone() -> None:
    scripts = [WORKER, BILLING, NESTED]
    assert affected(scripts, [BILLING]) == [1]
    assert affected(scripts, [NESTED]) == [2]


def test_another_python_file_restarts_every_worker_whose_folder_holds_it() -> None:
    scripts = [WORKER, BILLING, NESTED]
    assert affected(scripts, [PROJECT / "shared.py"]) == [0, 1]
    assert affected(scripts, [PROJECT / "services/mail/templates.py"]) == [0, 1, 2]
    assert affected(scripts, [Path("/elsewhere/lib.py")]) == []


def test_workers_are_named_by_their_script_and_told_apart_when_two_share_a_name() -> None:
    assert worker_names([WORKER, BILLING]) == ["worker", "billing_worker"]
    assert worker_names([WORKER, NESTED]) == ["worker#1", "worker#2"]


def test_each_line_goes_out_behind_its_aligned_name() -> None:
    stream = io.StringIO()
    sink = LogSink(["hatchetd", "dev", "billing_worker"], stream)
    sink.line("hatchetd", "ready")
    sink.line("billing_worker", "charged 3 cards")
    assert stream.getvalue() == ("hatchetd       | ready\nbilling_worker | charged 3 cards\n")


def test_a_port_with_a_listener_is_taken_and_port_0_never_is() -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        assert port_taken("127.0.0.1", port)
    assert not port_taken("127.0.0.1", 0)
