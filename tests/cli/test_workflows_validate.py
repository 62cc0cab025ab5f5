"""`hatchet workflows validate`: whole outputs, exit codes, and what the process imports."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hatchet_cli import __version__
from hatchet_cli.cli import output
from hatchet_cli.cli.app import app
from hatchet_cli.cli.output import ExitCode

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "tests/fixtures/compat"
SIMPLE = "tests/fixtures/compat/upstream/simple--sample-workflow.yaml"

runner = CliRunner()


@pytest.fixture(autouse=True)
def in_repo_without_hatchet_dir(monkeypatch: pytest.MonkeyPatch) -> None:
    """Relative paths resolve from the repository; the user's HATCHET_DIR does not leak in."""
    monkeypatch.chdir(ROOT)
    monkeypatch.delenv("HATCHET_DIR", raising=False)


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip("\n"))
    return path


# -- valid files -------------------------------------------------------------------------------


def test_a_valid_file_prints_its_summary_and_exits_0() -> None:
    result = runner.invoke(app, ["workflows", "validate", SIMPLE])
    assert result.exit_code == 0
    assert result.stdout == (
        "post-user-sign-up  v0.2.0  1 job, 3 steps  event user:create  "
        "tests/fixtures/compat/upstream/simple--sample-workflow.yaml\n"
    )
    assert result.stderr == "1 workflow valid\n"


def test_summaries_are_aligned_in_columns() -> None:
    result = runner.invoke(app, ["workflows", "validate", "tests/fixtures/compat/seed"])
    assert result.exit_code == 0
    assert result.stdout == (
        "on-cron            v0.1.0  1 job, 1 step    cron */15 * * * *            "
        "tests/fixtures/compat/seed/on-cron.yaml\n"
        "on-events          v0.1.0  1 job, 1 step    events eventkey1, eventkey2  "
        "tests/fixtures/compat/seed/on-events.yaml\n"
        "post-user-sign-up  v0.2.0  3 jobs, 3 steps  event user:create            "
        "tests/fixtures/compat/seed/post-user-sign-up.yaml\n"
    )
    assert result.stderr == "3 workflows valid\n"


def test_a_workflow_without_version_or_triggers(tmp_path: Path) -> None:
    write(
        tmp_path / "manual.yaml",
        """
        name: manual
        timezone: Europe/Paris
        jobs: {j: {steps: [{id: s, action: "a:b"}]}}
        """,
    )
    write(
        tmp_path / "nightly.yaml",
        """
        name: nightly
        version: 1.10
        timezone: Europe/Paris
        triggers: {crons: ["0 3 * * *"], events: ["user:*"]}
        jobs: {j: {steps: [{id: s, action: "a:b"}]}}
        """,
    )
    result = runner.invoke(app, ["workflows", "validate", str(tmp_path)])
    assert result.exit_code == 0
    assert result.stdout == (
        f"manual   -     1 job, 1 step  no triggers                                  "
        f"{tmp_path}/manual.yaml\n"
        f"nightly  1.10  1 job, 1 step  event user:*; cron 0 3 * * * (Europe/Paris)  "
        f"{tmp_path}/nightly.yaml\n"
    )


# -- errors ------------------------------------------------------------------------------------


def test_errors_go_to_stdout_one_per_line_with_a_tally_on_stderr(tmp_path: Path) -> None:
    write(
        tmp_path / "broken.yaml",
        """
        name: broken
        jobs:
          greet-user:
            steps:
              - id: greetUser
                action: postmark
                timeout: 5 minutes
              - id: greetUser
                action: a:b
        """,
    )
    write(tmp_path / "syntax.yaml", "name: [oops\n")
    write(tmp_path / "fine.yaml", "name: fine\njobs: {j: {steps: [{id: s, action: 'a:b'}]}}\n")
    result = runner.invoke(app, ["workflows", "validate", str(tmp_path)])
    assert result.exit_code == ExitCode.INVALID_INPUT
    assert result.stdout == (
        f"{tmp_path}/broken.yaml:6:17: jobs.greet-user.steps[0].action: "
        "must look like integration:verb\n"
        f"{tmp_path}/broken.yaml:7:18: jobs.greet-user.steps[0].timeout: "
        "invalid duration '5 minutes': use Go style like 300ms, 15s, 1m30s or a number of "
        "seconds\n"
        f"{tmp_path}/broken.yaml:8:13: jobs.greet-user.steps[1].id: "
        "duplicate step id 'greetUser' (first at line 5)\n"
        f"{tmp_path}/syntax.yaml:2:1: invalid YAML: expected ',' or ']', but got '<stream end>' "
        "(while parsing a flow sequence at line 1)\n"
    )
    assert result.stderr == "4 errors in 2 of 3 files\n"


def test_template_errors_are_reported_inside_the_template_and_exit_6(tmp_path: Path) -> None:
    write(
        tmp_path / "greet.yaml",
        """
        name: greet
        on: {cron: "0 0 30 2 *"}
        jobs:
          main:
            steps:
              - id: hello
                action: echo:echo
                with:
                  message: "Hi {{ .input. }}"
                  next: "{{ steps.bye.text }}"
              - id: bye
                action: echo:echo
        """,
    )
    result = runner.invoke(app, ["workflows", "validate", str(tmp_path)])
    assert result.exit_code == ExitCode.INVALID_INPUT
    assert result.stdout == (
        f"{tmp_path}/greet.yaml:2:12: on.cron: invalid cron '0 0 30 2 *': never fires (no month "
        "has that day, like 30 February)\n"
        f"{tmp_path}/greet.yaml:9:35: jobs.main.steps[0].with.message: expected name or number\n"
        f"{tmp_path}/greet.yaml:10:21: jobs.main.steps[0].with.next: steps.bye: step 'bye' runs "
        "after this one; a step reads only earlier steps\n"
    )
    assert result.stderr == "3 errors in 1 file\n"


def test_the_compat_corpus_reports_its_name_clash() -> None:
    result = runner.invoke(app, ["workflows", "validate", "tests/fixtures/compat"])
    assert result.exit_code == 6
    seed = "tests/fixtures/compat/seed/post-user-sign-up.yaml"
    simple = "tests/fixtures/compat/upstream/simple--sample-workflow.yaml"
    yaml_ = "tests/fixtures/compat/upstream/yaml--sample-workflow.yaml"
    assert result.stdout == (
        f"{seed}:1:7: name: workflow name 'post-user-sign-up' is also defined in "
        f"{simple}, {yaml_}\n"
        f"{simple}:1:7: name: workflow name 'post-user-sign-up' is also defined in "
        f"{seed}, {yaml_}\n"
        f"{yaml_}:1:7: name: workflow name 'post-user-sign-up' is also defined in "
        f"{seed}, {simple}\n"
    )
    assert result.stderr == "3 errors in 3 of 11 files\n"


def test_every_file_broken_has_a_shorter_tally(tmp_path: Path) -> None:
    write(tmp_path / "a.yaml", "")
    result = runner.invoke(app, ["workflows", "validate", str(tmp_path / "a.yaml")])
    assert result.exit_code == 6
    assert result.stdout == (
        f"{tmp_path}/a.yaml:1:1: empty file: a workflow needs at least name and jobs\n"
    )
    assert result.stderr == "1 error in 1 file\n"


def test_a_missing_path_is_invalid_input_with_one_line_on_stderr() -> None:
    result = runner.invoke(app, ["workflows", "validate", SIMPLE, "nope.yaml"])
    assert result.exit_code == 6
    assert result.stdout == ""
    assert result.stderr == "error: no such file or folder: nope.yaml\n"


# -- the default folder ------------------------------------------------------------------------


def test_the_default_folder_is_dot_hatchet(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    write(tmp_path / ".hatchet/a.yaml", "name: a\njobs: {j: {steps: [{id: s, action: 'a:b'}]}}\n")
    result = runner.invoke(app, ["workflows", "validate"])
    assert result.exit_code == 0
    assert result.stdout == "a  -  1 job, 1 step  no triggers  .hatchet/a.yaml\n"


def test_hatchet_dir_overrides_the_default_folder(tmp_path: Path) -> None:
    write(tmp_path / "flows/b.yml", "name: b\njobs: {j: {steps: [{id: s, action: 'a:b'}]}}\n")
    result = runner.invoke(
        app, ["workflows", "validate"], env={"HATCHET_DIR": str(tmp_path / "flows")}
    )
    assert result.exit_code == 0
    assert result.stdout == f"b  -  1 job, 1 step  no triggers  {tmp_path}/flows/b.yml\n"


def test_a_missing_default_folder_says_how_to_choose_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["workflows", "validate"])
    assert result.exit_code == 6
    assert result.stdout == ""
    assert result.stderr == (
        "error: no such file or folder: .hatchet (pass a path, or set HATCHET_DIR)\n"
    )


def test_a_folder_without_workflows_is_not_an_error(tmp_path: Path) -> None:
    result = runner.invoke(app, ["workflows", "validate", str(tmp_path)])
    assert result.exit_code == 0
    assert result.stdout == ""
    assert result.stderr == f"no workflow files found in {tmp_path}\n"


# -- JSON --------------------------------------------------------------------------------------


def test_json_output_for_valid_files() -> None:
    result = runner.invoke(
        app, ["workflows", "validate", "-o", "json", "tests/fixtures/compat/seed/on-cron.yaml"]
    )
    assert result.exit_code == 0
    assert result.stderr == ""
    document = json.loads(result.stdout)
    checksum = document["workflows"][0].pop("checksum")
    assert len(checksum) == 64
    assert document == {
        "valid": True,
        "workflows": [
            {
                "name": "on-cron",
                "version": "v0.1.0",
                "description": None,
                "file": "tests/fixtures/compat/seed/on-cron.yaml",
                "timezone": None,
                "triggers": {"events": [], "crons": ["*/15 * * * *"]},
                "jobs": [{"name": "my-awesome-job", "steps": ["step-1"]}],
            }
        ],
        "errors": [],
    }


def test_json_output_with_errors(tmp_path: Path) -> None:
    write(tmp_path / "a.yaml", "name: a\nfoo: 1\njobs: {j: {steps: [{id: s, action: 'a:b'}]}}\n")
    result = runner.invoke(app, ["workflows", "validate", "--output", "json", str(tmp_path)])
    assert result.exit_code == 6
    assert result.stderr == ""
    assert json.loads(result.stdout) == {
        "valid": False,
        "workflows": [],
        "errors": [
            {
                "file": f"{tmp_path}/a.yaml",
                "line": 2,
                "column": 1,
                "path": "",
                "message": "unknown key 'foo'",
            }
        ],
    }


# -- the root command --------------------------------------------------------------------------


def test_version() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.stdout == f"hatchet {__version__}\n"


def test_no_arguments_shows_the_help() -> None:
    result = runner.invoke(app, [])
    assert result.exit_code == ExitCode.USAGE
    assert "workflows" in result.output
    assert "Usage: hatchet" in result.output


def test_validate_help_names_the_default_folder_and_the_exit_code() -> None:
    result = runner.invoke(app, ["workflows", "validate", "--help"], env={"COLUMNS": "100"})
    assert result.exit_code == 0
    assert "Check workflow files without a daemon." in result.stdout
    assert "$HATCHET_DIR" in result.stdout
    assert "exits 6" in result.stdout


def test_an_unknown_output_format_is_a_usage_error() -> None:
    result = runner.invoke(app, ["workflows", "validate", "-o", "yaml", SIMPLE])
    assert result.exit_code == ExitCode.USAGE


# -- colour ------------------------------------------------------------------------------------


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_colour_only_on_a_terminal_and_never_with_no_color(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setattr(sys, "stdout", io.StringIO())
    assert not output.colour_enabled()
    assert output.style("x", bold=True) == "x"

    monkeypatch.setattr(sys, "stdout", FakeTerminal())
    assert output.colour_enabled()
    assert output.style("x", bold=True) == "\x1b[1mx\x1b[0m"

    monkeypatch.setenv("NO_COLOR", "1")
    assert not output.colour_enabled()
    assert output.style("x", bold=True) == "x"


def test_exit_codes_match_the_design() -> None:
    assert {code.name: int(code) for code in ExitCode} == {
        "OK": 0,
        "ERROR": 1,
        "USAGE": 2,
        "NOT_FOUND": 3,
        "AUTH": 4,
        "UNREACHABLE": 5,
        "INVALID_INPUT": 6,
        "NO_ANSWER": 7,
    }


# -- a real process ----------------------------------------------------------------------------


def test_the_installed_command_validates_without_loading_the_daemon_or_web_stack() -> None:
    script = Path(sys.executable).with_name("hatchet")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "hatchet_cli.cli.app"]
    env = {**os.environ, "PYTHONPROFILEIMPORTTIME": "1"}
    env.pop("HATCHET_DIR", None)
    done = subprocess.run(
        [*command, "workflows", "validate", SIMPLE],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        check=False,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("post-user-sign-up  v0.2.0  1 job, 3 steps")
    imported = {
        line.split("|")[-1].strip().split(".")[0]
        for line in done.stderr.splitlines()
        if line.startswith("import time:")
    }
    assert "hatchetd" in imported  # the parser was loaded: the check below is not vacuous
    # Jinja is expected: templates are compiled, as the daemon's loader compiles them.
    assert "jinja2" in imported
    heavy = {"sqlalchemy", "fastapi", "textual", "httpx", "starlette", "uvicorn"}
    assert imported & heavy == set()
