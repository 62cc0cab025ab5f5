"""Workflow files → `WorkflowSpec`s, with errors that name the file, line, column and key path.

`hatchetd.contracts.yaml_source` reads the YAML into plain data and keeps every node's position;
this module validates that data as a `WorkflowSpec`, puts each error back on the file, finds the
workflow files in a folder and reports two files that claim the same workflow name.

The functions here are used both by the CLI (`hatchet workflows validate`, offline) and by the
daemon's loader (`hatchetd.workflows.loader`), so a file is judged the same way by both.
"""

from __future__ import annotations

import errno
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError
from pydantic_core import ErrorDetails

from hatchetd.contracts.spec import ON_AND_TRIGGERS, WorkflowSpec, duplicate_step_ids
from hatchetd.contracts.spec_errors import kind_of, model_message, unknown_key
from hatchetd.contracts.yaml_source import (
    MAX_NODES,
    NULL_TAG,
    Loc,
    NodeReader,
    TooManyNodes,
    ValueCheck,
    ValueProblem,
    locate,
    value_position,
    yaml_message,
)

__all__ = [
    "ParsedFile",
    "WorkflowError",
    "check_name_clashes",
    "discover",
    "format_path",
    "load_files",
    "parse_file",
    "parse_text",
]


class WorkflowError(BaseModel):
    """One problem in a workflow file, where it is and what is wrong.

    `str()` gives `file:line:col: key.path: message`, the form editors and CI annotations read.
    """

    model_config = ConfigDict(frozen=True, use_attribute_docstrings=True)

    file: str
    """The file, as given to the parser (the loader gives paths relative to the watched folder)."""
    line: int
    """1-based line of the offending value, key or mapping."""
    column: int
    """1-based column of the offending value, key or mapping."""
    path: str = ""
    """Key path of the offending part, like `jobs.greet-user.steps[0].action`; empty for the file
    as a whole."""
    message: str
    """What is wrong, in words meant for the author of the file."""

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}:{self.column}"
        return f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"


@dataclass(frozen=True)
class ParsedFile:
    """The outcome of reading one workflow file: a spec, or the reasons there is none."""

    file: str
    """The file's name as used in its errors."""
    spec: WorkflowSpec | None
    """The validated workflow; None when there is any error."""
    errors: tuple[WorkflowError, ...] = ()
    """Every problem found, sorted by position."""
    name: str | None = None
    """The file's `name:` when it could be read, even if the file has other errors (a broken file
    still claims its name, so that a clash is reported while it is being edited)."""
    name_position: tuple[int, int] = (1, 1)
    """Line and column of the `name:` value."""
    checksum: str | None = field(default=None)
    """`spec.checksum()`, or None when there is no spec."""

    @property
    def ok(self) -> bool:
        """True when the file gave a usable spec."""
        return self.spec is not None


# ---------------------------------------------------------------------------------------------
# Entry points


def parse_text(text: str, file: str = "<string>", *, check: ValueCheck | None = None) -> ParsedFile:
    """Read one workflow from YAML text; `file` is the name used in the errors. `check` reports
    further problems in the file's data (the daemon and `workflows validate` check templates)."""
    loader = yaml.SafeLoader(text)
    try:
        return _Parse(file, loader, check).run(text)
    finally:
        loader.dispose()


def parse_file(
    path: Path, file: str | None = None, *, check: ValueCheck | None = None
) -> ParsedFile:
    """Read one workflow file; `file` is the name used in the errors (default: `str(path)`).
    `check` is as for `parse_text`."""
    name = str(path) if file is None else file
    try:
        raw = path.read_bytes()
    except OSError as exc:
        return _failed(name, 1, 1, f"cannot read the file: {exc.strerror or exc}")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        before = raw[: exc.start]
        line = before.count(b"\n") + 1
        column = len(before) - (before.rfind(b"\n") + 1) + 1
        return _failed(
            name, line, column, f"not UTF-8 text: byte 0x{raw[exc.start]:02x} cannot be decoded"
        )
    return parse_text(text, name, check=check)


def discover(paths: Iterable[Path]) -> list[Path]:
    """The workflow files in `paths`, in order, each once.

    A folder gives every `*.yaml` / `*.yml` file directly in it or deeper, sorted, skipping hidden
    folders and files (names starting with a dot) and not following symlinked folders. A file is
    taken as it is, whatever its suffix. A path that does not exist raises FileNotFoundError.
    """
    found: list[Path] = []
    seen: set[Path] = set()
    for path in paths:
        if path.is_dir():
            candidates = _walk(path)
        elif path.exists():
            candidates = [path]
        else:
            raise FileNotFoundError(errno.ENOENT, "no such file or directory", str(path))
        for candidate in candidates:
            identity = candidate.resolve()
            if identity not in seen:
                seen.add(identity)
                found.append(candidate)
    return found


def check_name_clashes(files: Sequence[ParsedFile]) -> list[ParsedFile]:
    """`files` again, with an error on each file whose `name` another file also uses.

    The error sits at the `name:` value and lists the other files; a clashing file has no spec
    (which of the two was meant is for the author to say, not for load order to decide).
    """
    by_name: dict[str, list[int]] = {}
    for index, parsed in enumerate(files):
        if parsed.name is not None:
            by_name.setdefault(parsed.name, []).append(index)
    result = list(files)
    for name, indexes in by_name.items():
        if len(indexes) < 2:
            continue
        for index in indexes:
            parsed = files[index]
            others = ", ".join(files[other].file for other in indexes if other != index)
            line, column = parsed.name_position
            clash = WorkflowError(
                file=parsed.file,
                line=line,
                column=column,
                path="name",
                message=f"workflow name '{name}' is also defined in {others}",
            )
            result[index] = replace(
                parsed, spec=None, checksum=None, errors=_sorted([*parsed.errors, clash])
            )
    return result


def load_files(
    paths: Sequence[Path], *, root: Path | None = None, check: ValueCheck | None = None
) -> list[ParsedFile]:
    """Parse every file in `paths` and check their names against each other.

    With `root`, files are named relative to it in errors (`greet/user.yaml`); otherwise as given.
    `check` is as for `parse_text`.
    """
    parsed = [
        parse_file(
            path, path.relative_to(root).as_posix() if root is not None else None, check=check
        )
        for path in paths
    ]
    return check_name_clashes(parsed)


def format_path(loc: Loc) -> str:
    """`("jobs", "greet-user", "steps", 0, "action")` → `jobs.greet-user.steps[0].action`.

    Keys that are not plain words are quoted: `jobs."my job".steps[0]`.
    """
    text = ""
    for segment in loc:
        if isinstance(segment, int):
            text += f"[{segment}]"
        else:
            word = segment if _PLAIN_KEY.fullmatch(segment) else _quote(segment)
            text += f".{word}" if text else word
    return text


# ---------------------------------------------------------------------------------------------
# One file


class _Parse:
    def __init__(self, file: str, loader: yaml.SafeLoader, check: ValueCheck | None) -> None:
        self.file = file
        self.loader = loader
        self.check = check
        self.errors: list[WorkflowError] = []

    def error(self, mark: yaml.Mark, loc: Loc, message: str) -> None:
        self.errors.append(
            WorkflowError(
                file=self.file,
                line=mark.line + 1,
                column=mark.column + 1,
                path=format_path(loc),
                message=message,
            )
        )

    def run(self, text: str) -> ParsedFile:
        try:
            root = self.loader.get_single_node()
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
            return _failed(self.file, line, column, yaml_message(exc))
        except yaml.reader.ReaderError as exc:
            line, column = _position(text, exc.position)
            return _failed(self.file, line, column, f"invalid YAML: {str(exc).splitlines()[0]}")
        if root is None or (isinstance(root, yaml.ScalarNode) and root.tag == NULL_TAG):
            return _failed(self.file, 1, 1, "empty file: a workflow needs at least name and jobs")

        reader = NodeReader(self.loader)
        try:
            data = reader.value(root, ())
        except TooManyNodes:
            return _failed(
                self.file,
                1,
                1,
                f"too large: more than {MAX_NODES} values once aliases are expanded",
            )
        for problem in reader.problems:
            self.error(problem.mark, problem.loc, problem.message)
        if () in reader.tainted:
            return self.finish(None, root, data)
        if not isinstance(data, dict):
            self.error(
                root.start_mark,
                (),
                f"expected a mapping with the workflow's name and jobs, got {kind_of(data)}",
            )
            return self.finish(None, root, data)

        self.check_both_trigger_forms(root, data)
        self.check_duplicate_step_ids(root, data)
        spec: WorkflowSpec | None = None
        try:
            spec = WorkflowSpec.model_validate(data)
        except ValidationError as exc:
            for details in exc.errors(include_url=False):
                self.model_error(root, details, reader.tainted)
        if self.check is not None:
            for found in self.check(data):
                self.value_error(text, root, found, reader.tainted)
        return self.finish(spec, root, data)

    def value_error(
        self, text: str, root: yaml.Node, problem: ValueProblem, tainted: list[Loc]
    ) -> None:
        if any(problem.loc[: len(bad)] == bad for bad in tainted):
            return
        node, walked, _ = locate(root, problem.loc)
        line, column = (node.start_mark.line + 1, node.start_mark.column + 1)
        if walked == problem.loc:
            # An alias's node sits where the anchor is, which is still where the text is written.
            line, column = value_position(text, node, problem.offset)
        self.errors.append(
            WorkflowError(
                file=self.file,
                line=line,
                column=column,
                path=format_path(walked),
                message=problem.message,
            )
        )

    def finish(self, spec: WorkflowSpec | None, root: yaml.Node, data: Any) -> ParsedFile:
        name: str | None = None
        position = (1, 1)
        if isinstance(data, dict) and isinstance(data.get("name"), str) and data["name"].strip():
            name = data["name"]
            node, _, _ = locate(root, ("name",))
            position = (node.start_mark.line + 1, node.start_mark.column + 1)
        if self.errors:
            spec = None
        return ParsedFile(
            file=self.file,
            spec=spec,
            errors=_sorted(self.errors),
            name=name,
            name_position=position,
            checksum=spec.checksum() if spec is not None else None,
        )

    def check_both_trigger_forms(self, root: yaml.Node, data: dict[str, Any]) -> None:
        if "on" in data and "triggers" in data:
            _, _, key_node = locate(root, ("on",))
            assert key_node is not None
            self.error(key_node.start_mark, ("on",), ON_AND_TRIGGERS)

    def check_duplicate_step_ids(self, root: yaml.Node, data: dict[str, Any]) -> None:
        # The model checks this too, but only once every step is valid; checking the raw data here
        # reports duplicates together with the file's other errors.
        jobs = data.get("jobs")
        if not isinstance(jobs, dict):
            return
        for job_name, job in jobs.items():
            steps = job.get("steps") if isinstance(job, dict) else None
            if not isinstance(steps, list):
                continue
            ids = [step.get("id") if isinstance(step, dict) else None for step in steps]
            for index, step_id, first in duplicate_step_ids(ids):
                first_node, _, _ = locate(root, ("jobs", job_name, "steps", first, "id"))
                node, walked, _ = locate(root, ("jobs", job_name, "steps", index, "id"))
                first_line = first_node.start_mark.line + 1
                self.error(
                    node.start_mark,
                    walked,
                    f"duplicate step id '{step_id}' (first at line {first_line})",
                )

    def model_error(self, root: yaml.Node, details: ErrorDetails, tainted: list[Loc]) -> None:
        kind = details["type"]
        loc: Loc = tuple(details["loc"])
        if kind in {"duplicate_step_id", "on_and_triggers"}:
            return  # reported from the raw data, see check_duplicate_step_ids
        if kind == "missing":
            node, walked, _ = locate(root, loc[:-1])
            mark, message = node.start_mark, f"missing required key '{loc[-1]}'"
        elif kind == "extra_forbidden":
            node, walked, key_node = locate(root, loc)
            if key_node is not None and walked == loc:
                node, walked = key_node, walked[:-1]
            mark, message = node.start_mark, unknown_key(loc)
        else:
            node, walked, _ = locate(root, loc)
            mark, message = node.start_mark, model_message(details)
        if any(walked[: len(bad)] == bad for bad in tainted):
            return  # an unsupported tag or the like, already reported
        self.error(mark, walked, message)


# ---------------------------------------------------------------------------------------------
# Helpers


_PLAIN_KEY = re.compile(r"[A-Za-z0-9_-]+")


def _failed(file: str, line: int, column: int, message: str) -> ParsedFile:
    return ParsedFile(
        file=file,
        spec=None,
        errors=(WorkflowError(file=file, line=line, column=column, message=message),),
    )


def _sorted(errors: Iterable[WorkflowError]) -> tuple[WorkflowError, ...]:
    return tuple(sorted(set(errors), key=lambda e: (e.line, e.column, e.path, e.message, e.file)))


def _position(text: str, offset: int) -> tuple[int, int]:
    before = text[:offset]
    return before.count("\n") + 1, offset - (before.rfind("\n") + 1) + 1


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _walk(root: Path) -> list[Path]:
    files: list[Path] = []
    for folder, subfolders, names in os.walk(root):
        subfolders[:] = [name for name in subfolders if not name.startswith(".")]
        files.extend(
            Path(folder, name)
            for name in names
            if name.endswith((".yaml", ".yml")) and not name.startswith(".")
        )
    return sorted(files, key=lambda path: path.relative_to(root).parts)
