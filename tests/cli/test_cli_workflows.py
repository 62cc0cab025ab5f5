"""`hatchet workflows list` and `show` against an in-process daemon, as its folder changes."""

from __future__ import annotations

import io
import json
import re
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from hatchet_cli.cli.app import app
from hatchet_cli.cli.workflows import print_listing
from hatchetd.contracts.api import WorkflowDetail, WorkflowList
from tests.cli.conftest import Hatchet, normalise

SIGN_UP = "post-user-sign-up"
BROKEN_ACTION = (
    "post-user-sign-up.yaml:14:17: jobs.create-resources.steps[0].action: "
    "must look like integration:verb"
)
BAD_YAML = (
    "bad.yaml:2:1: invalid YAML: expected ',' or ']', but got '<stream end>' "
    "(while parsing a flow sequence at line 1)"
)


def listing(hatchet: Hatchet) -> dict[str, Any]:
    result = hatchet("workflows", "list", "-o", "json")
    assert result.exit_code == 0, result.stderr
    document: dict[str, Any] = json.loads(result.stdout)
    return document


def wait_for(hatchet: Hatchet, done: Callable[[dict[str, Any]], bool], what: str) -> None:
    """Poll `hatchet workflows list -o json` until `done(listing)`: the daemon's watcher reloads
    the folder on its own time (50 ms after the last change)."""
    deadline = time.monotonic() + 10
    while not done(last := listing(hatchet)):
        assert time.monotonic() < deadline, f"{what} did not happen within 10 s: {last}"
        time.sleep(0.02)


def edit_sign_up(tmp_path: Path, old: str, new: str) -> None:
    path = tmp_path / ".hatchet" / f"{SIGN_UP}.yaml"
    path.write_text(path.read_text().replace(old, new))


def break_sign_up(hatchet: Hatchet, tmp_path: Path) -> None:
    """Make the sign-up file invalid and add a file that never loads; wait for both errors."""
    edit_sign_up(tmp_path, "sandbox:create", "broken")
    (tmp_path / ".hatchet" / "bad.yaml").write_text("name: [oops\n")
    wait_for(hatchet, lambda w: len(w["broken_files"]) == 2, "the reload of both files")


def succeeded_run(hatchet: Hatchet) -> tuple[str, str]:
    """Push a sign-up event, wait until the worker finished its run; the event's and run's ids."""
    data = '{"user": {"firstName": "Ada", "email": "ada@example.com"}}'
    event = json.loads(hatchet("events", "push", "user:create", "-d", data, "-o", "json").stdout)
    event_id, run_id = event["id"], event["run_ids"][0]
    deadline = time.monotonic() + 10
    while json.loads(hatchet("runs", "show", run_id, "-o", "json").stdout)["run"]["status"] != (
        "SUCCEEDED"
    ):
        assert time.monotonic() < deadline, "the run did not succeed within 10 s"
        time.sleep(0.02)
    return event_id, run_id


UNSERVED = "newsletter:add-user, postmark:email-from-template, sandbox:create"
"""The sign-up workflow's actions, which no worker serves while none is connected."""

# -- list --------------------------------------------------------------------------------------


def test_list_as_a_table(hatchet: Hatchet) -> None:
    result = hatchet("workflows", "list")
    assert result.exit_code == 0
    assert result.stdout == (
        "NAME               STATE   VERSION  TRIGGERS           FILE                    UNSERVED\n"
        "post-user-sign-up  active  v0.2.0   event user:create  post-user-sign-up.yaml  "
        f"{UNSERVED}\n"  # no worker is connected
    )
    assert result.stderr == ""


def test_list_json_is_the_api_document(hatchet: Hatchet) -> None:
    document = listing(hatchet)
    version_id = document["workflows"][0].pop("version_id")
    assert re.fullmatch(r"[0-9a-f]{64}", version_id)
    assert normalise(json.dumps(document)) == normalise(
        json.dumps(
            {
                "workflows": [
                    {
                        "name": SIGN_UP,
                        "active": True,
                        "version": "v0.2.0",
                        "file": "post-user-sign-up.yaml",
                        "events": ["user:create"],
                        "crons": [],
                        "errors": [],
                        "updated_at": "2026-01-01T00:00:00Z",
                        "unserved_actions": UNSERVED.split(", "),
                    }
                ],
                "broken_files": [],
            }
        )
    )
    WorkflowList.model_validate({**document, "workflows": []})


def test_list_yaml_is_the_json_document(hatchet: Hatchet) -> None:
    result = hatchet("workflows", "list", "-o", "yaml")
    assert result.exit_code == 0
    assert yaml.safe_load(result.stdout) == listing(hatchet)


def test_list_id_prints_the_names(hatchet: Hatchet) -> None:
    result = hatchet("workflows", "list", "-o", "id")
    assert result.exit_code == 0
    assert result.stdout == f"{SIGN_UP}\n"


def test_broken_files_are_listed_with_their_errors_and_exit_0(
    hatchet: Hatchet, tmp_path: Path
) -> None:
    break_sign_up(hatchet, tmp_path)

    result = hatchet("workflows", "list")

    assert result.exit_code == 0
    assert result.stdout == (
        "NAME               STATE  VERSION  TRIGGERS           FILE                    UNSERVED\n"
        "post-user-sign-up  error  v0.2.0   event user:create  post-user-sign-up.yaml  "
        f"{UNSERVED}\n"
        "\n"
        f"{BAD_YAML}\n"
        f"{BROKEN_ACTION}\n"
    )
    assert result.stderr == "2 errors in 2 files\n"
    document = listing(hatchet)
    assert document["workflows"][0]["errors"] == [BROKEN_ACTION]
    assert document["broken_files"] == [
        {"file": "bad.yaml", "errors": [BAD_YAML]},
        {"file": "post-user-sign-up.yaml", "errors": [BROKEN_ACTION]},
    ]


def test_a_deleted_file_shows_its_workflow_inactive(hatchet: Hatchet, tmp_path: Path) -> None:
    (tmp_path / ".hatchet" / f"{SIGN_UP}.yaml").unlink()
    wait_for(hatchet, lambda w: not w["workflows"][0]["active"], "the deactivation")

    result = hatchet("workflows", "list")

    assert result.exit_code == 0
    assert result.stdout == (
        "NAME               STATE     VERSION  TRIGGERS           FILE                    "
        "UNSERVED\n"
        "post-user-sign-up  inactive  v0.2.0   event user:create  post-user-sign-up.yaml  -\n"
    )
    assert result.stderr == ""
    shown = hatchet("workflows", "show", SIGN_UP)
    assert shown.exit_code == 0
    assert "state:    inactive (its file was deleted)\n" in shown.stdout


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_errors_are_red_on_a_terminal(
    hatchet: Hatchet, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    break_sign_up(hatchet, tmp_path)
    document = WorkflowList.model_validate(listing(hatchet))
    terminal = FakeTerminal()
    monkeypatch.setattr(sys, "stdout", terminal)

    print_listing(document)

    printed = terminal.getvalue()
    assert f"\x1b[31m{BAD_YAML}\x1b[0m\n" in printed
    assert f"\x1b[31m{BROKEN_ACTION}\x1b[0m\n" in printed


# -- show --------------------------------------------------------------------------------------

SHOWN = """\
workflow: post-user-sign-up
state:    active
version:  v0.2.0 (<checksum>)
file:     post-user-sign-up.yaml
triggers: event user:create
updated:  <time>

definition:
  name: post-user-sign-up
  version: v0.2.0
  description: Create a sandbox, greet the new user and add them to the newsletter.
  triggers:
    events:
      - user:create
  jobs:
    create-resources:
      steps:
        - id: createSandbox
          action: sandbox:create
          timeout: 1m
          schedule_timeout: 5m
          retries: 0
          with:
            owner: '{{ .input.user.email }}'
    greet-user:
      steps:
        - id: greetUser
          action: postmark:email-from-template
          timeout: 15s
          schedule_timeout: 5m
          retries: 0
          with:
            firstName: '{{ .input.user.firstName }}'
            email: '{{ .input.user.email }}'
    add-to-newsletter:
      steps:
        - id: addUserToNewsletter
          action: newsletter:add-user
          timeout: 15s
          schedule_timeout: 5m
          retries: 0
          with:
            email: '{{ .input.user.email }}'

versions:
VERSION  CHECKSUM    FILE                    SEEN
v0.2.0   <checksum>  post-user-sign-up.yaml  <time>  current

recent runs:
ID      STATUS     TRIGGER         CREATED  TOOK
<id1>  SUCCEEDED  event <event>  <time>  <took>
"""


def test_show_as_text(hatchet: Hatchet, sign_up_worker: object) -> None:
    event_id, run_id = succeeded_run(hatchet)
    version_id = listing(hatchet)["workflows"][0]["version_id"]

    result = hatchet("workflows", "show", SIGN_UP)

    assert result.exit_code == 0
    assert result.stderr == ""
    text = normalise(
        result.stdout.replace(version_id[:8], "<checksum>").replace(event_id[:8], "<event>")
    )
    text = re.sub(r"(?m)(SUCCEEDED .*  )\S+$", r"\1<took>", text)
    # The tables were aligned to the real values; the placeholders change the widths.
    squeeze = re.compile(r" {2,}")
    assert squeeze.sub("  ", text) == squeeze.sub("  ", SHOWN)
    assert run_id in result.stdout


def test_show_json_is_one_document(hatchet: Hatchet, sign_up_worker: object) -> None:
    _, run_id = succeeded_run(hatchet)
    (workflow,) = listing(hatchet)["workflows"]

    result = hatchet("workflows", "show", SIGN_UP, "-o", "json")

    assert result.exit_code == 0
    document = json.loads(result.stdout)
    WorkflowDetail.model_validate(document)
    assert list(document) == ["workflow", "definition", "versions", "recent_runs"]
    assert document["workflow"] == workflow
    (version,) = document["versions"]
    assert version["id"] == workflow["version_id"]
    assert version["version"] == "v0.2.0"
    assert version["definition"] == document["definition"]
    assert document["definition"]["triggers"] == {"events": ["user:create"], "crons": []}
    assert [run["id"] for run in document["recent_runs"]] == [run_id]
    assert document["recent_runs"][0]["status"] == "SUCCEEDED"


def test_show_yaml_is_the_json_document(hatchet: Hatchet) -> None:
    as_yaml = hatchet("workflows", "show", SIGN_UP, "-o", "yaml")
    as_json = hatchet("workflows", "show", SIGN_UP, "-o", "json")
    assert as_yaml.exit_code == 0
    assert yaml.safe_load(as_yaml.stdout) == json.loads(as_json.stdout)


def test_show_id_prints_the_recent_run_ids_newest_first(hatchet: Hatchet) -> None:
    for _ in range(2):
        hatchet("events", "push", "user:create", "-d", "{}")
    runs = hatchet("runs", "list", "-o", "id").stdout

    result = hatchet("workflows", "show", SIGN_UP, "-o", "id")

    assert result.exit_code == 0
    assert result.stdout == runs
    assert len(runs.split()) == 2


def test_show_without_runs_says_so(hatchet: Hatchet) -> None:
    result = hatchet("workflows", "show", SIGN_UP)
    assert result.exit_code == 0
    assert result.stdout.endswith("\nrecent runs:\nno runs\n")


def test_show_lists_every_version_newest_first(hatchet: Hatchet, tmp_path: Path) -> None:
    edit_sign_up(tmp_path, "version: v0.2.0", "version: v0.3.0")
    wait_for(hatchet, lambda w: w["workflows"][0]["version"] == "v0.3.0", "the new version")
    versions = json.loads(hatchet("workflows", "show", SIGN_UP, "-o", "json").stdout)["versions"]
    old, new = (version["id"][:8] for version in versions)

    result = hatchet("workflows", "show", SIGN_UP)

    assert result.exit_code == 0
    section = normalise(result.stdout.split("versions:\n")[1].split("\n\n")[0])
    assert section == (
        "VERSION  CHECKSUM  FILE                    SEEN\n"
        f"v0.3.0   {new}  post-user-sign-up.yaml  <time>  current\n"
        f"v0.2.0   {old}  post-user-sign-up.yaml  <time>"
    )


def test_show_a_workflow_in_error_lists_the_errors(hatchet: Hatchet, tmp_path: Path) -> None:
    break_sign_up(hatchet, tmp_path)

    result = hatchet("workflows", "show", SIGN_UP)

    assert result.exit_code == 0
    assert result.stdout.startswith("workflow: post-user-sign-up\nstate:    error (see below)\n")
    assert (
        "\nerrors (the version above stays current until the file loads):\n"
        f"  {BROKEN_ACTION}\n\ndefinition:\n"
    ) in result.stdout
    # The definition shown is the last good one, still current.
    assert "action: sandbox:create" in result.stdout


def test_show_an_unknown_workflow_exits_3(hatchet: Hatchet) -> None:
    result = hatchet("workflows", "show", "nope")
    assert result.exit_code == 3
    assert result.stdout == ""
    assert result.stderr == "error: no workflow named 'nope'\n"


@pytest.mark.parametrize("command", [["list"], ["show", SIGN_UP]], ids=" ".join)
def test_an_unreachable_daemon_exits_5(closed_address: str, command: list[str]) -> None:
    result = CliRunner().invoke(app, ["--address", closed_address, "workflows", *command])
    assert result.exit_code == 5
    assert result.stdout == ""
    assert result.stderr.startswith(f"error: cannot reach the hatchet daemon at {closed_address}")
    assert len(result.stderr.splitlines()) == 1


# -- help --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "command",
    [
        ["workflows", "list"],
        ["workflows", "show"],
        ["workflows", "run"],
        ["workflows", "validate"],
        ["completion"],
    ],
    ids=" ".join,
)
def test_help_ends_with_examples(command: list[str]) -> None:
    result = CliRunner().invoke(app, [*command, "--help"], env={"COLUMNS": "100"})
    assert result.exit_code == 0
    lines = [line.strip() for line in result.stdout.splitlines()]
    after = lines[lines.index("Examples:") + 1 :]
    examples = after[: after.index("")]
    assert len(examples) >= 3
    assert all(f"hatchet {command[0]} " in line for line in examples)
