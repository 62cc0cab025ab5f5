"""The `-o json` contract: which shape each command prints, and those shapes, field by field.

Scripts rely on `-o json`, so its shapes are the daemon's contract models, named here once. The
reference in `docs/cli.md` is generated from this table and the models' field docstrings, and a
test runs every command in it with `-o json` and validates the output against the named model,
so the page, the models and the output cannot disagree. The `hatchet` command never imports this
module.
"""

from __future__ import annotations

import types
import typing
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Any

from pydantic import BaseModel

from hatchetd.contracts import api, events, runs, validation, workers, workflows


@dataclass(frozen=True)
class Shape:
    """What one command prints with `-o json`."""

    model: type[BaseModel]
    """The contract model of the document (or of each item when `many`)."""
    many: bool = False
    """A JSON array of `model` rather than one document."""
    lines: bool = False
    """JSON Lines: one `model` document per line (a follow or watch mode)."""

    @property
    def markdown(self) -> str:
        """How the reference writes it, linked to the model's table."""
        link = _link(self.model.__name__, self.model)
        if self.lines:
            return f"{link} documents, one per line (JSON Lines)"
        return f"an array of {link}" if self.many else link


COMMAND_SHAPES: dict[tuple[str, ...], Shape] = {
    ("events", "push"): Shape(api.PushedEvent),
    ("events", "push", "--wait"): Shape(api.EventDetail),
    ("events", "list"): Shape(api.EventList),
    ("events", "show"): Shape(api.EventDetail),
    ("events", "replay"): Shape(api.ReplayResult),
    ("runs", "list"): Shape(api.RunList),
    ("runs", "show"): Shape(runs.RunTrace),
    ("runs", "cancel"): Shape(runs.RunTrace),
    ("runs", "logs"): Shape(runs.StepLog, many=True),
    ("runs", "logs", "--follow"): Shape(runs.StepLog, lines=True),
    ("runs", "rerun"): Shape(runs.WorkflowRun),
    ("runs", "rerun", "--wait"): Shape(runs.RunTrace),
    ("workflows", "list"): Shape(api.WorkflowList),
    ("workflows", "show"): Shape(api.WorkflowDetail),
    ("workflows", "run"): Shape(runs.WorkflowRun),
    ("workflows", "run", "--wait"): Shape(runs.RunTrace),
    ("workflows", "validate"): Shape(validation.ValidationReport),
    ("workers", "list"): Shape(api.WorkerInfo, many=True),
    ("status",): Shape(api.DaemonStatus),
}
"""Command path → what its `-o json` prints; a path ending in a flag is what the command prints
with that flag instead."""


def command_of(key: tuple[str, ...]) -> tuple[str, ...]:
    """The command path of a `COMMAND_SHAPES` key, without its flag."""
    return tuple(part for part in key if not part.startswith("--"))


_EXTRA_MODELS: tuple[type[BaseModel], ...] = (
    events.Event,
    runs.WorkflowRun,
    runs.JobRunTrace,
    runs.JobRun,
    runs.StepRun,
    api.FileErrors,
    api.WorkflowInfo,
    workers.Worker,
    workflows.WorkflowVersion,
)


def documented_models() -> list[type[BaseModel]]:
    """Every model the reference describes: the commands' shapes and the models inside them."""
    seen: dict[str, type[BaseModel]] = {}
    pending = [shape.model for shape in COMMAND_SHAPES.values()] + list(_EXTRA_MODELS)
    while pending:
        model = pending.pop(0)
        if model.__name__ in seen:
            continue
        seen[model.__name__] = model
        for field in model.model_fields.values():
            pending.extend(_models_in(field.annotation))
    return [seen[name] for name in sorted(seen)]


def render_shapes() -> str:
    """The Markdown section describing each shape: a table of fields, types and meanings."""
    parts = ["## JSON shapes\n"]
    parts.append(
        "Each command's `-o json` (the reference below names it under the command) prints one of "
        "these documents. Times are RFC 3339 in UTC, ids full UUIDs. Fields may be added in "
        "later versions; none will be removed or change type.\n"
    )
    parts.append("| command | prints |\n|---|---|")
    for path, shape in COMMAND_SHAPES.items():
        parts.append(f"| `hatchet {' '.join(path)}` | {shape.markdown} |")
    parts.append("")
    for model in documented_models():
        parts.append(f"### {model.__name__}\n")
        if model.__doc__:
            parts.append(" ".join(model.__doc__.split("\n\n")[0].split()) + "\n")
        parts.append("| field | type | meaning |\n|---|---|---|")
        for name, field in model.model_fields.items():
            meaning = " ".join((field.description or "").split()).replace("|", "\\|")
            parts.append(f"| `{name}` | {_json_type(field.annotation)} | {meaning} |")
        parts.append("")
    return "\n".join(parts)


def _link(text: str, model: type[BaseModel]) -> str:
    return f"[{text}](#{model.__name__.lower()})"


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [m for arg in typing.get_args(annotation) for m in _models_in(arg)]


def _json_type(annotation: Any) -> str:
    """How a field's Python type looks in JSON, for people."""
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin in (typing.Union, types.UnionType):
        kinds = [_json_type(a) for a in args if a is not type(None)]
        text = " or ".join(kinds)
        return f"{text} or null" if type(None) in args else text
    if origin is list:
        return f"array of {_json_type(args[0])}"
    if origin is dict:
        return "object"
    if annotation is Any:
        return "any JSON"
    if isinstance(annotation, type):
        if issubclass(annotation, BaseModel):
            return _link(annotation.__name__, annotation)
        if issubclass(annotation, Enum):
            return "one of " + ", ".join(f"`{member.value}`" for member in annotation)
        if issubclass(annotation, bool):
            return "boolean"
        if issubclass(annotation, int):
            return "integer"
        if issubclass(annotation, float):
            return "number"
        if issubclass(annotation, datetime):
            return "time (RFC 3339)"
        if issubclass(annotation, str):
            return "string"
    return str(annotation)
