"""The dependency rules of design §2, checked in a fresh interpreter.

import-linter checks the import statements; this checks what a real process ends up loading,
which is what decides start-up time (`hatchet --help` must not pay for SQLAlchemy or Textual).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SIMPLE = ROOT / "tests/fixtures/compat/upstream/simple--sample-workflow.yaml"
HEAVY = (
    "sqlalchemy",
    "sqlmodel",
    "psycopg",
    "fastapi",
    "starlette",
    "uvicorn",
    "textual",
    "jinja2",
)

PROBE = """
import json, sys
sys.argv = {argv!r}
try:
    {body}
except SystemExit as exc:
    code = exc.code
else:
    code = 0
print("\\n@@" + json.dumps({{"code": code, "modules": sorted(sys.modules)}}))
"""


def loaded_modules(body: str, argv: list[str] | None = None) -> tuple[int, set[str]]:
    """Run `body` in a fresh interpreter; return its exit code and every top-level module loaded."""
    script = PROBE.format(argv=argv or ["probe"], body=body)
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, check=False
    )
    assert "@@" in done.stdout, done.stderr
    report = json.loads(done.stdout.rsplit("@@", 1)[1])
    return report["code"], {name.split(".")[0] for name in report["modules"]}


@pytest.mark.parametrize(
    "module",
    [
        "hatchet_cli",
        "hatchetd.contracts.spec",
        "hatchetd.contracts.parse",
        "hatchetd.contracts.runs",
        "hatchetd.contracts.events",
    ],
)
def test_light_modules_import_nothing_heavy(module: str) -> None:
    code, modules = loaded_modules(f"import {module}")
    assert code == 0
    assert modules.isdisjoint(HEAVY), sorted(modules & set(HEAVY))


# What Typer's Rich help pulled in (issue 13: 470 ms for `hatchet --help`): no command needs them
# to start, and a table is drawn with Rich only on a terminal.
HELP_RENDERING = ("markdown_it", "pygments", "rich")
CONSOLE_SCRIPT = "from hatchet_cli.cli.app import main; main()"
"""What the `hatchet` console script runs (pyproject's [project.scripts])."""


def test_hatchet_help_imports_nothing_heavy() -> None:
    code, modules = loaded_modules(CONSOLE_SCRIPT, ["hatchet", "--help"])
    assert code == 0
    assert modules.isdisjoint(HEAVY + HELP_RENDERING), sorted(modules & set(HEAVY + HELP_RENDERING))
    assert "typer" in modules  # the help was printed by the real command line


def test_hatchet_help_loads_no_command_module() -> None:
    script = PROBE.format(argv=["hatchet", "--help"], body=CONSOLE_SCRIPT).replace(
        "sorted(sys.modules)", "sorted(name for name in sys.modules if 'hatchet_cli.cli.' in name)"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, check=False
    )
    loaded = json.loads(done.stdout.rsplit("@@", 1)[1])["modules"]
    assert set(loaded) <= {
        "hatchet_cli.cli.app",
        "hatchet_cli.cli.connection",
        "hatchet_cli.cli.lazy_group",
        "hatchet_cli.cli.output",
    }, loaded


def test_events_push_imports_no_help_rendering_nor_other_commands(tmp_path: Path) -> None:
    from tests.live import serve_daemon

    with serve_daemon(tmp_path) as address:
        code, modules = loaded_modules(
            CONSOLE_SCRIPT,
            ["hatchet", "events", "push", "user:create", "--data", "{}", "--address", address],
        )
    assert code == 0
    assert modules.isdisjoint(HEAVY + HELP_RENDERING), sorted(modules & set(HEAVY + HELP_RENDERING))
    assert "hatchetd" in modules  # the pushed event was read into its model: it did run


def test_workflows_validate_imports_neither_store_nor_web_nor_tui() -> None:
    code, modules = loaded_modules(
        "from hatchet_cli.cli.app import main; main()",
        ["hatchet", "workflows", "validate", str(SIMPLE)],
    )
    assert code == 0
    assert modules.isdisjoint(HEAVY), sorted(modules & set(HEAVY))
    assert "hatchetd" in modules  # it did load the parser: the check above is not vacuous


def test_the_daemon_never_imports_the_client() -> None:
    code, modules = loaded_modules("import hatchetd.store, hatchetd.workflows.loader")
    assert code == 0
    assert "hatchet_cli" not in modules
    assert "sqlalchemy" in modules  # the store really was imported
