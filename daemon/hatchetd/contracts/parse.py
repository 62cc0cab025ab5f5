"""Workflow files → `WorkflowSpec`s, with errors that name the file, line, column and key path.

The YAML is read with PyYAML's SafeLoader, but only as far as its node tree: the nodes carry the
positions, and turning them into Python data here (rather than with `yaml.safe_load`) is what lets
us report duplicate keys (PyYAML silently keeps the last one), refuse tags such as
`!!python/object` before anything is constructed, keep `version: 1.10` as the text "1.10", and
read a bare `on:` key as the text "on" rather than the boolean True.

The functions here are used both by the CLI (`hatchet workflows validate`, offline) and by the
daemon's loader (`hatchetd.workflows.loader`), so a file is judged the same way by both.
"""

from __future__ import annotations

import difflib
import errno
import os
import re
import types
import typing
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError
from pydantic_core import ErrorDetails

from hatchetd.contracts.spec import ON_AND_TRIGGERS, WorkflowSpec, duplicate_step_ids

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

Loc = tuple[str | int, ...]
"""A key path as a tuple: ("jobs", "greet-user", "steps", 0, "action")."""


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


def parse_text(text: str, file: str = "<string>") -> ParsedFile:
    """Read one workflow from YAML text; `file` is the name used in the errors."""
    loader = yaml.SafeLoader(text)
    try:
        return _Parse(file, loader).run(text)
    finally:
        loader.dispose()


def parse_file(path: Path, file: str | None = None) -> ParsedFile:
    """Read one workflow file; `file` is the name used in the errors (default: `str(path)`)."""
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
    return parse_text(text, name)


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


def load_files(paths: Sequence[Path], *, root: Path | None = None) -> list[ParsedFile]:
    """Parse every file in `paths` and check their names against each other.

    With `root`, files are named relative to it in errors (`greet/user.yaml`); otherwise as given.
    """
    parsed = [
        parse_file(path, path.relative_to(root).as_posix() if root is not None else None)
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
# Reading the node tree

_CORE = "tag:yaml.org,2002:"
_SCALAR_TAGS = frozenset(_CORE + name for name in ("null", "bool", "int", "float", "str"))
_TIMESTAMP = _CORE + "timestamp"  # kept as the text written: step input is JSON
_NULL = _CORE + "null"
_SEQ = _CORE + "seq"
_MAP = _CORE + "map"
_MERGE = _CORE + "merge"
_MAX_NODES = 100_000  # alias expansion guard ("billion laughs"); real files have hundreds
_PLAIN_KEY = re.compile(r"[A-Za-z0-9_-]+")


class _TooManyNodes(Exception):
    """The document expands to more nodes than any workflow needs."""


@dataclass
class _Problem:
    mark: yaml.Mark
    loc: Loc
    message: str


class _Reader:
    """Node tree → plain Python data (str, int, float, bool, None, list, dict with str keys)."""

    def __init__(self, loader: yaml.SafeLoader) -> None:
        self.loader = loader
        self.problems: list[_Problem] = []
        self.tainted: list[Loc] = []  # parts whose data is a stand-in: hide their model errors
        self.count = 0
        self.open: set[int] = set()
        self.checked: set[int] = set()

    def value(self, node: yaml.Node, loc: Loc) -> Any:
        self.count += 1
        if self.count > _MAX_NODES:
            raise _TooManyNodes
        if not _tag_fits(node):
            self.problems.append(_Problem(node.start_mark, loc, _unsupported_tag(node.tag)))
            self.tainted.append(loc)
            return None
        if isinstance(node, yaml.ScalarNode):
            return self.scalar(node, loc)
        if id(node) in self.open:
            self.problems.append(
                _Problem(
                    node.start_mark, loc, "a YAML alias may not refer to a value that holds it"
                )
            )
            self.tainted.append(loc)
            return None
        self.open.add(id(node))
        try:
            if isinstance(node, yaml.SequenceNode):
                return [self.value(item, (*loc, index)) for index, item in enumerate(node.value)]
            assert isinstance(node, yaml.MappingNode)
            return self.mapping(node, loc)
        finally:
            self.open.discard(id(node))

    def scalar(self, node: yaml.ScalarNode, loc: Loc) -> Any:
        if node.tag == _TIMESTAMP:
            return node.value
        try:
            # Safe: the tag was checked above, so this is one of SafeConstructor's plain types.
            return self.loader.construct_object(node)
        except (ValueError, yaml.YAMLError):
            self.problems.append(
                _Problem(node.start_mark, loc, f"'{node.value}' is not a valid {_short(node.tag)}")
            )
            self.tainted.append(loc)
            return None

    def mapping(self, node: yaml.MappingNode, loc: Loc) -> dict[str, Any]:
        if id(node) not in self.checked:  # an aliased mapping is read again: report it once
            self.checked.add(id(node))
            first_seen: dict[str, yaml.Mark] = {}
            for key_node, _ in node.value:
                if not isinstance(key_node, yaml.ScalarNode) or key_node.tag == _MERGE:
                    continue
                first = first_seen.get(key_node.value)
                if first is None:
                    first_seen[key_node.value] = key_node.start_mark
                    continue
                self.problems.append(
                    _Problem(
                        key_node.start_mark,
                        loc,
                        f"duplicate key '{key_node.value}' (first at line {first.line + 1})",
                    )
                )
        try:
            self.loader.flatten_mapping(node)  # resolves `<<: *defaults` merge keys in place
        except yaml.MarkedYAMLError as exc:
            self.problems.append(
                _Problem(exc.problem_mark or node.start_mark, loc, _yaml_message(exc))
            )
            self.tainted.append(loc)
            return {}
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                self.problems.append(
                    _Problem(
                        key_node.start_mark, loc, "a key must be plain text, not a list or mapping"
                    )
                )
                continue
            if key_node.tag not in _SCALAR_TAGS and key_node.tag != _TIMESTAMP:
                self.problems.append(
                    _Problem(key_node.start_mark, loc, _unsupported_tag(key_node.tag))
                )
                continue
            # Keys are kept as written: `on` stays "on" (not True), `1` stays "1".
            key = key_node.value
            if (
                loc == ()
                and key == "version"
                and isinstance(value_node, yaml.ScalarNode)
                and value_node.tag != _NULL
                and _tag_fits(value_node)
            ):
                # `version: 1.10` is the text "1.10", never the float 1.1.
                result[key] = value_node.value
                continue
            result[key] = self.value(value_node, (*loc, key))
        return result


def _tag_fits(node: yaml.Node) -> bool:
    if isinstance(node, yaml.ScalarNode):
        return node.tag in _SCALAR_TAGS or node.tag == _TIMESTAMP
    if isinstance(node, yaml.SequenceNode):
        return bool(node.tag == _SEQ)
    return bool(node.tag == _MAP)


def _short(tag: str) -> str:
    return "!!" + tag.removeprefix(_CORE) if tag.startswith(_CORE) else tag


def _unsupported_tag(tag: str) -> str:
    return f"unsupported YAML tag '{_short(tag)}': only plain YAML is allowed"


def _locate(root: yaml.Node, loc: Loc) -> tuple[yaml.Node, Loc, yaml.Node | None]:
    """The node at `loc` (or the deepest one on the way), the path actually walked, and the key
    node of the last mapping entry taken.

    Model locations follow the model, which may differ from the file: `on: [a, b]` is validated as
    `on: {events: [a, b]}`. A name segment met at a list or a text is such a normalisation; the
    walk skips it at a list and stops at a text, so the error points at what the author wrote.
    """
    node = root
    walked: list[str | int] = []
    key_node: yaml.Node | None = None
    for segment in loc:
        if segment == "[key]":
            if key_node is not None:
                node = key_node
            break
        if isinstance(node, yaml.MappingNode) and isinstance(segment, str):
            entry = next(
                (
                    (key, value)
                    for key, value in reversed(node.value)
                    if isinstance(key, yaml.ScalarNode) and key.value == segment
                ),
                None,
            )
            if entry is None:
                break
            key_node, node = entry
        elif isinstance(node, yaml.SequenceNode) and isinstance(segment, int):
            if not 0 <= segment < len(node.value):
                break
            key_node, node = None, node.value[segment]
        elif isinstance(node, yaml.SequenceNode):
            continue
        else:
            break
        walked.append(segment)
    return node, tuple(walked), key_node


# ---------------------------------------------------------------------------------------------
# One file


class _Parse:
    def __init__(self, file: str, loader: yaml.SafeLoader) -> None:
        self.file = file
        self.loader = loader
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
            return _failed(self.file, line, column, _yaml_message(exc))
        except yaml.reader.ReaderError as exc:
            line, column = _position(text, exc.position)
            return _failed(self.file, line, column, f"invalid YAML: {str(exc).splitlines()[0]}")
        if root is None or (isinstance(root, yaml.ScalarNode) and root.tag == _NULL):
            return _failed(self.file, 1, 1, "empty file: a workflow needs at least name and jobs")

        reader = _Reader(self.loader)
        try:
            data = reader.value(root, ())
        except _TooManyNodes:
            return _failed(
                self.file,
                1,
                1,
                f"too large: more than {_MAX_NODES} values once aliases are expanded",
            )
        for problem in reader.problems:
            self.error(problem.mark, problem.loc, problem.message)
        if () in reader.tainted:
            return self.finish(None, root, data)
        if not isinstance(data, dict):
            self.error(
                root.start_mark,
                (),
                f"expected a mapping with the workflow's name and jobs, got {_kind(data)}",
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
        return self.finish(spec, root, data)

    def finish(self, spec: WorkflowSpec | None, root: yaml.Node, data: Any) -> ParsedFile:
        name: str | None = None
        position = (1, 1)
        if isinstance(data, dict) and isinstance(data.get("name"), str) and data["name"].strip():
            name = data["name"]
            node, _, _ = _locate(root, ("name",))
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
            _, _, key_node = _locate(root, ("on",))
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
                first_node, _, _ = _locate(root, ("jobs", job_name, "steps", first, "id"))
                node, walked, _ = _locate(root, ("jobs", job_name, "steps", index, "id"))
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
            node, walked, _ = _locate(root, loc[:-1])
            mark, message = node.start_mark, f"missing required key '{loc[-1]}'"
        elif kind == "extra_forbidden":
            node, walked, key_node = _locate(root, loc)
            if key_node is not None and walked == loc:
                node, walked = key_node, walked[:-1]
            mark, message = node.start_mark, _unknown_key(loc)
        else:
            node, walked, _ = _locate(root, loc)
            mark, message = node.start_mark, _model_message(details)
        if any(walked[: len(bad)] == bad for bad in tainted):
            return  # an unsupported tag or the like, already reported
        self.error(mark, walked, message)


# ---------------------------------------------------------------------------------------------
# Messages


def _yaml_message(exc: yaml.MarkedYAMLError) -> str:
    problem = exc.problem or exc.context or "not valid YAML"
    if "'\\t'" in problem:
        return "invalid YAML: found a tab character: indent with spaces"
    if exc.context and exc.context.startswith("expected a single document"):
        return "invalid YAML: a workflow file holds one document, but another one starts here"
    message = f"invalid YAML: {problem}"
    if exc.context and exc.problem:
        context_mark, problem_mark = exc.context_mark, exc.problem_mark
        if context_mark is not None and (
            problem_mark is None or context_mark.line != problem_mark.line
        ):
            message += f" ({exc.context} at line {context_mark.line + 1})"
        else:
            message += f" ({exc.context})"
    return message


def _kind(value: object) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


_EXPECTED = {
    "string_type": "text",
    "int_type": "a whole number",
    "int_parsing": "a whole number",
    "int_from_float": "a whole number",
    "list_type": "a list",
    "dict_type": "a mapping",
    "model_type": "a mapping",
    "model_attributes_type": "a mapping",
}


def _model_message(details: ErrorDetails) -> str:
    kind = details["type"]
    context = details.get("ctx") or {}
    if "message" in context:
        return str(context["message"])
    if kind in _EXPECTED:
        return f"expected {_EXPECTED[kind]}, got {_kind(details['input'])}"
    if kind == "greater_than_equal":
        return f"must be {context['ge']} or more"
    message = details["msg"]
    return message[:1].lower() + message[1:]


def _unknown_key(loc: Loc) -> str:
    key = str(loc[-1])
    message = f"unknown key '{key}'"
    model = _model_at(loc[:-1])
    if model is not None:
        known = [info.alias or name for name, info in model.model_fields.items()]
        close = difflib.get_close_matches(key, known, n=1, cutoff=0.7)
        if close:
            message += f" (did you mean '{close[0]}'?)"
    return message


def _model_at(loc: Loc) -> type[BaseModel] | None:
    """The model class that validates the mapping at `loc` (for "did you mean" hints)."""
    current: Any = WorkflowSpec
    for segment in loc:
        current = _unwrap(current)
        if isinstance(current, type) and issubclass(current, BaseModel):
            info = next(
                (
                    info
                    for name, info in current.model_fields.items()
                    if segment in (name, info.alias)
                ),
                None,
            )
            if info is None:
                return None
            current = info.annotation
        elif typing.get_origin(current) in (list, dict):
            current = typing.get_args(current)[-1]
        else:
            return None
    current = _unwrap(current)
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def _unwrap(annotation: Any) -> Any:
    """`Annotated[X, ...]` → X; `X | None` → X."""
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (typing.Union, types.UnionType):
            members = [arg for arg in typing.get_args(annotation) if arg is not type(None)]
            if len(members) != 1:
                return annotation
            annotation = members[0]
        else:
            return annotation


# ---------------------------------------------------------------------------------------------
# Helpers


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
