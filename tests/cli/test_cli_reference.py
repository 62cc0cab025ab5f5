"""docs/cli.md cannot drift from the commands; `-o json` prints exactly the documented shapes."""

from __future__ import annotations

import json
import time
import typing
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from hatchet_cli.cli import reference
from hatchet_cli.cli.json_shapes import COMMAND_SHAPES, Shape, command_of
from hatchet_cli.sdk import Worker
from tests.cli.conftest import Hatchet


def test_the_command_reference_in_docs_is_current() -> None:
    page = reference.DOC.read_text(encoding="utf-8")
    assert reference.updated(page) == page, "docs/cli.md is out of date: run `make docs`"


def test_every_command_with_json_output_names_its_shape() -> None:
    with_output = {
        path
        for path in reference.command_paths()
        if path and "--output" in reference.help_text(path)
    }
    assert with_output == {command_of(key) for key in COMMAND_SHAPES}


def test_every_command_shows_examples_in_its_help() -> None:
    leaves = [
        path
        for path in reference.command_paths()
        if path and "Commands" not in reference.help_text(path)
    ]
    assert len(leaves) >= 15
    missing = [" ".join(p) for p in leaves if "Examples:" not in reference.help_text(p)]
    assert missing == []


def _fields_of(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        found = _fields_of(arg)
        if found is not None:
            return found
    return None


def assert_exactly(document: Any, model: type[BaseModel], where: str = "$") -> None:
    """`document` validates as `model` and has exactly its fields, recursively: a field the
    docs do not describe, or one they describe and the output lacks, fails."""
    model.model_validate(document)
    assert isinstance(document, dict), where
    assert set(document) == set(model.model_fields), f"{where}: {sorted(document)}"
    for name, field in model.model_fields.items():
        inner = _fields_of(field.annotation)
        value = document[name]
        if inner is None or value is None:
            continue
        for i, item in enumerate(value if isinstance(value, list) else [value]):
            assert_exactly(item, inner, f"{where}.{name}[{i}]")


def check(shape: Shape, stdout: str) -> None:
    if shape.lines:
        documents = [json.loads(line) for line in stdout.splitlines() if line]
    else:
        parsed = json.loads(stdout)
        documents = parsed if shape.many else [parsed]
        assert isinstance(parsed, list) == shape.many
    assert documents, "nothing printed"
    for document in documents:
        assert_exactly(document, shape.model)


@pytest.fixture
def history(hatchet: Hatchet, sign_up_worker: Worker, tmp_path: Path) -> dict[str, str]:
    """A pushed event whose run a worker finished (so every list has an item and the run has
    logs), and a replay of it: ids to put on the command lines, and the daemon's folder (a copy
    of the shipped example, not the user's `.hatchet/`)."""
    data = '{"user": {"email": "ada@example.com", "firstName": "Ada"}}'
    pushed = json.loads(hatchet("events", "push", "user:create", "-d", data, "-o", "json").stdout)
    run_id = pushed["run_ids"][0]
    deadline = time.monotonic() + 10
    while json.loads(hatchet("runs", "show", run_id, "-o", "json").stdout)["run"]["status"] in (
        "PENDING",
        "RUNNING",
    ):
        assert time.monotonic() < deadline, "the run did not finish within 10 s"
        time.sleep(0.02)
    trace = json.loads(hatchet("runs", "show", run_id, "-o", "json").stdout)
    assert trace["run"]["status"] == "SUCCEEDED", trace
    hatchet("events", "replay", pushed["id"])
    return {
        "EVENT": pushed["id"],
        "RUN": pushed["run_ids"][0],
        "WORKFLOW": "post-user-sign-up",
        "FOLDER": str(tmp_path / ".hatchet"),
    }


ARGUMENTS: dict[tuple[str, ...], list[str]] = {
    ("events", "push"): ["user:create", "-d", '{"user": {"email": "a@b.c"}}'],
    ("events", "push", "--wait"): [
        "user:create",
        "-d",
        '{"user": {"email": "a@b.c", "firstName": "A"}}',
    ],
    ("events", "show"): ["EVENT"],
    ("events", "replay"): ["EVENT"],
    ("runs", "show"): ["RUN"],
    ("runs", "cancel"): ["RUN"],
    ("runs", "logs"): ["RUN"],
    ("runs", "logs", "--follow"): ["RUN"],
    ("runs", "rerun"): ["RUN"],
    ("runs", "rerun", "--wait"): ["RUN"],
    ("workflows", "show"): ["WORKFLOW"],
    ("workflows", "run"): ["WORKFLOW", "--input", '{"user": {"email": "a@b.c"}}'],
    ("workflows", "run", "--wait"): [
        "WORKFLOW",
        "--input",
        '{"user": {"email": "a@b.c", "firstName": "A"}}',
    ],
    ("workflows", "validate"): ["FOLDER"],
}
"""What each command needs besides `-o json` (placeholders filled from `history`)."""


@pytest.mark.parametrize("path", list(COMMAND_SHAPES), ids=" ".join)
def test_json_output_is_the_documented_shape(
    hatchet: Hatchet, history: dict[str, str], path: tuple[str, ...]
) -> None:
    shape = COMMAND_SHAPES[path]
    args = [history.get(a, a) for a in ARGUMENTS.get(path, [])]
    result = hatchet(*command_of(path), *path[len(command_of(path)) :], *args, "-o", "json")
    assert result.exit_code == 0, result.stderr
    check(shape, result.stdout)
