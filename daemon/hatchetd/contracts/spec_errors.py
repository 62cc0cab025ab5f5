"""Pydantic's validation errors for a `WorkflowSpec`, reworded for the author of the file.

Pydantic words its errors for programmers ("Input should be a valid string"), but
`hatchetd.contracts.parse` shows them next to a line of YAML, so they are put in the file's terms
here: what was expected and what was written, and a "did you mean" for a misspelt key.
"""

from __future__ import annotations

import difflib
import types
import typing
from typing import Any

from pydantic import BaseModel
from pydantic_core import ErrorDetails

from hatchetd.contracts.spec import WorkflowSpec
from hatchetd.contracts.yaml_source import Loc

__all__ = ["kind_of", "model_message", "unknown_key"]


def kind_of(value: object) -> str:
    """What `value` is, in YAML words: "text", "a list", "true/false", …"""
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


def model_message(details: ErrorDetails) -> str:
    """The message for one pydantic error (other than a missing or unknown key)."""
    kind = details["type"]
    context = details.get("ctx") or {}
    if "message" in context:
        return str(context["message"])
    if kind in _EXPECTED:
        return f"expected {_EXPECTED[kind]}, got {kind_of(details['input'])}"
    if kind == "greater_than_equal":
        return f"must be {context['ge']} or more"
    message = details["msg"]
    return message[:1].lower() + message[1:]


def unknown_key(loc: Loc) -> str:
    """The message for the unknown key at `loc`, with the nearest known key when one is close."""
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
