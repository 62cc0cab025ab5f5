"""`hatchet runs`: list, show (the trace), cancel and logs against an in-process daemon."""

from __future__ import annotations

import json
import re
import subprocess
import sys

from tests.cli.conftest import Hatchet, normalise

BAR = re.compile(r"  ([·░█]{24})  ")
"""A waterfall bar: 24 cells between two-space gaps."""


def pushed_run(hatchet: Hatchet) -> tuple[str, str]:
    """Push a sign-up event; its id and the id of the run it triggered."""
    result = hatchet(
        "events", "push", "user:create", "-d", '{"user": {"email": "a@b.c"}}', "-o", "json"
    )
    event = json.loads(result.stdout)
    return event["id"], event["run_ids"][0]


def test_list_prints_the_api_page(hatchet: Hatchet) -> None:
    event_id, run_id = pushed_run(hatchet)
    result = hatchet("runs", "list", "-o", "json")
    assert result.exit_code == 0
    page = json.loads(result.stdout)
    assert [run["id"] for run in page["items"]] == [run_id]
    assert page["items"][0]["event_id"] == event_id
    assert page["next_cursor"] is None


def test_list_filters(hatchet: Hatchet) -> None:
    event_id, run_id = pushed_run(hatchet)
    assert hatchet("runs", "list", "--event", event_id, "-o", "id").stdout == f"{run_id}\n"
    assert (
        hatchet("runs", "list", "--workflow", "post-user-sign-up", "-o", "id").stdout
        == f"{run_id}\n"
    )
    assert hatchet("runs", "list", "--workflow", "other", "-o", "id").stdout == ""
    assert hatchet("runs", "list", "--status", "succeeded", "-o", "id").stdout == ""


def test_show_prints_the_trace_as_a_tree(hatchet: Hatchet) -> None:
    _, run_id = pushed_run(hatchet)
    result = hatchet("runs", "show", run_id)
    assert result.exit_code == 0
    lines = normalise(result.stdout).splitlines()
    # No worker is connected: the run is PENDING or RUNNING (its steps wait for assignment).
    assert lines[0].replace("RUNNING", "PENDING") == (
        "run <id1>  post-user-sign-up  PENDING  event <id2>  took -"
    )
    # A step waiting for a worker says why under its line.
    waits = [line for line in lines if "waiting for a worker" in line]
    assert all(line.endswith("— none connected serves it") for line in waits)
    assert len(lines) == 7 + len(waits)
    steps = [line for line in lines if "step " in line]
    assert len(steps) == 3
    assert all("attempt 1  worker -  took -" in line for line in steps)
    # Every job and step line has its bar, all in one column; nothing has run yet, so the steps
    # only wait (░) for a worker.
    bars = {line: BAR.search(line) for line in lines[1:] if line not in waits}
    assert all(bars.values()), lines
    assert len({bar.start() for bar in bars.values() if bar}) == 1
    for line in steps:
        bar = bars[line]
        assert bar is not None
        assert set(bar.group(1)) <= {"░", "·"}


def test_list_until_keeps_the_runs_created_before_it(hatchet: Hatchet) -> None:
    _, first = pushed_run(hatchet)
    _, second = pushed_run(hatchet)
    created = json.loads(hatchet("runs", "show", second, "-o", "json").stdout)["run"]["created_at"]
    assert hatchet("runs", "list", "--until", created, "-o", "id").stdout == f"{first}\n"
    assert hatchet("runs", "list", "--until", "1h", "-o", "id").stdout == ""
    window = ("--since", "1h", "--until", "2999-01-01T00:00:00Z")
    assert hatchet("runs", "list", *window, "-o", "id").stdout == f"{second}\n{first}\n"


def test_list_with_a_bad_until_exits_6(hatchet: Hatchet) -> None:
    result = hatchet("runs", "list", "--until", "notatime")
    assert (result.exit_code, result.stdout) == (6, "")
    assert result.stderr == (
        "error: --until: expected an RFC 3339 time (2026-05-01T12:00:00Z) or a duration "
        "(1h, 30m), got 'notatime'\n"
    )


def test_show_verbose_adds_the_inputs(hatchet: Hatchet) -> None:
    _, run_id = pushed_run(hatchet)
    result = hatchet("runs", "show", run_id, "--verbose")
    assert result.exit_code == 0
    assert "input:" in result.stdout
    assert "output: null" in result.stdout


def test_show_json_is_the_trace(hatchet: Hatchet) -> None:
    _, run_id = pushed_run(hatchet)
    trace = json.loads(hatchet("runs", "show", run_id, "-o", "json").stdout)
    assert trace["run"]["id"] == run_id
    assert sorted(job["job_run"]["job_name"] for job in trace["jobs"]) == [
        "add-to-newsletter",
        "create-resources",
        "greet-user",
    ]
    assert all(len(job["step_runs"]) == 1 for job in trace["jobs"])


def test_show_an_unknown_run_exits_3(hatchet: Hatchet) -> None:
    result = hatchet("runs", "show", "nope")
    assert result.exit_code == 3
    assert result.stdout == ""
    assert result.stderr.startswith("error: ")
    assert len(result.stderr.splitlines()) == 1


def test_cancel_cancels_the_run(hatchet: Hatchet) -> None:
    _, run_id = pushed_run(hatchet)
    result = hatchet("runs", "cancel", run_id)
    assert result.exit_code == 0
    assert result.stderr == f"run {run_id} is CANCELLED\n"
    trace = json.loads(hatchet("runs", "show", run_id, "-o", "json").stdout)
    assert trace["run"]["status"] == "CANCELLED"
    assert trace["run"]["cancel_reason"] == "USER_CANCELLED"


def test_cancel_an_unknown_run_exits_3(hatchet: Hatchet) -> None:
    assert hatchet("runs", "cancel", "nope").exit_code == 3


def test_logs_of_a_run_that_logged_nothing(hatchet: Hatchet) -> None:
    _, run_id = pushed_run(hatchet)
    result = hatchet("runs", "logs", run_id)
    assert (result.exit_code, result.stdout, result.stderr) == (0, "", "no log lines\n")
    assert hatchet("runs", "logs", run_id, "-o", "json").stdout == "[]\n"


def test_logs_of_an_unknown_run_exits_3(hatchet: Hatchet) -> None:
    assert hatchet("runs", "logs", "nope").exit_code == 3


def test_each_command_has_examples_in_its_help(hatchet: Hatchet) -> None:
    for command, example in [
        ("list", "hatchet runs list --status failed --since 1h"),
        ("show", "hatchet runs show 3f2a --watch"),
        ("cancel", "hatchet runs cancel 3f2a"),
        ("logs", "hatchet runs logs 3f2a --follow"),
    ]:
        result = hatchet("runs", command, "--help")
        assert result.exit_code == 0
        assert "Examples:" in result.stdout
        assert example in result.stdout


def test_show_help_says_what_the_watch_exit_code_means(hatchet: Hatchet) -> None:
    text = " ".join(hatchet("runs", "show", "--help").stdout.split())
    assert "0 SUCCEEDED, 1 FAILED or CANCELLED" in text


def test_help_does_not_load_the_live_display() -> None:
    # rich.live is for `runs show --watch` on a terminal; every other command starts without it.
    probe = (
        "import sys\n"
        "from hatchet_cli.cli.app import main\n"
        "sys.argv = ['hatchet', '--help']\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "print('@@', 'rich.live' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.rsplit("@@", 1)[1].strip() == "False"
