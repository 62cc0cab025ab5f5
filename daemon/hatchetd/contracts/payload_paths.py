"""A value at a dot path in an event's payload: `user.email=ada@example.com`.

One syntax, two uses: a filter (`hatchet events list --where`, `GET /api/v1/events?where=`)
keeps the events whose payload holds the value at the path; an edit (`hatchet events replay
--set`, `ReplayEvents.set`) puts the value there.

The text after the first `=` is read as JSON when it is a JSON scalar (`42`, `4.5`, `true`,
`false`, `null`, `"42"`), otherwise it is taken as a string as typed, so `name=Ada` needs no
quotes and `zip="02139"` stays a string. Objects and arrays are not values here: they would
compare differently on SQLite and PostgreSQL, and a flag is the wrong place to write them.
A value follows the rules of every stored value (`hatchetd.contracts.json_values`): a number
beyond a 64-bit float's range (`1e400`) is refused rather than read as text, and no string may
hold a NUL.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from hatchetd.contracts.json_values import MAX_DEPTH, JsonProblem, NotJson, check_json, load_json
from hatchetd.contracts.storable_schema import no_nul_in_strings

JsonScalar = str | int | float | bool | None
"""What a path can hold here: a JSON string, number, true, false or null."""

_KEY = r"[A-Za-z0-9_-]+"
_PATH = re.compile(rf"{_KEY}(?:\.{_KEY})*")
PATH_PATTERN = rf"^{_PATH.pattern}$"
"""The paths `check_path` accepts, as a JSON Schema pattern."""
WHERE_PATTERN = rf"^{_PATH.pattern}=[^\u0000]*$"
"""What `PathValue.parse` accepts, as a JSON Schema pattern: a path, `=`, then any value
without a NUL character."""
EXAMPLE = "user.email=ada@example.com"
"""The example every message about the syntax shows."""
MAX_PATH_KEYS = MAX_DEPTH
"""The most keys a path may have: no payload nests deeper."""
MAX_PATH_LENGTH = 1024
"""The longest a path may be, in characters."""
_NOT_JSON_NUMBERS = frozenset({"NaN", "Infinity", "-Infinity"})


def check_path(path: str) -> str:
    """`path` when it is dot-separated keys of letters, digits, `_` and `-`, at most 64 keys and
    1,024 characters; else ValueError.

    The keys reach the database only as bound parameters; the narrow alphabet keeps the paths
    the same on SQLite and PostgreSQL (no quoting, no array indexes) and the messages simple.
    """
    if not path:
        raise ValueError(f"the path is empty: write PATH=VALUE, e.g. {EXAMPLE}")
    if len(path) > MAX_PATH_LENGTH:
        raise ValueError(
            f"the path {_shown(path)} is {len(path):,} characters long; "
            f"a path has at most {MAX_PATH_LENGTH:,}"
        )
    if not _PATH.fullmatch(path):
        raise ValueError(
            f"bad path {path!r}: use object keys of letters, digits, '_' and '-' separated "
            "by '.', e.g. user.email"
        )
    keys = path.count(".") + 1
    if keys > MAX_PATH_KEYS:
        raise ValueError(
            f"the path {_shown(path)} has {keys} keys; a path has at most {MAX_PATH_KEYS}"
        )
    return path


def _shown(path: str) -> str:
    """A long path's first keys, up to 40 characters, then `…`."""
    if len(path) <= 40:
        return path
    shown = ""
    for key in path.split("."):
        if len(shown) + bool(shown) + len(key) > 40:
            break
        shown += f".{key}" if shown else key
    return f"{shown or path[:40]}…"


def parse_value(text: str) -> JsonScalar:
    """The value of `path=value` text: a JSON scalar if the text is one, else the text itself.

    ValueError if it is a JSON number no stored value may hold (`1e400`) or holds a NUL."""
    if text != text.strip() or text in _NOT_JSON_NUMBERS:
        value: Any = text  # " 42" is what the user typed, spaces and all; NaN is not JSON
    else:
        try:
            value = load_json(text)
        except NotJson:
            value = text
        except JsonProblem as exc:
            raise ValueError(exc.problem) from None
    if isinstance(value, dict | list):
        return text
    try:
        check_json(value)
    except JsonProblem as exc:
        raise ValueError(exc.problem) from None
    scalar: JsonScalar = value
    return scalar


class PathValue(BaseModel):
    """A value at a dot path in an event's payload."""

    model_config = ConfigDict(use_attribute_docstrings=True, frozen=True, allow_inf_nan=False)

    path: str = Field(json_schema_extra={"pattern": PATH_PATTERN})
    """Object keys from the top of the payload, separated by `.`: `user.email`. Keys are
    letters, digits, `_` and `-`; a key of digits is an object key, never an array index."""
    value: JsonScalar = Field(json_schema_extra=no_nul_in_strings)
    """A JSON string, number, true, false or null."""

    @field_validator("path")
    @classmethod
    def _valid_path(cls, path: str) -> str:
        return check_path(path)

    @field_validator("value", mode="before")
    @classmethod
    def _storable_value(cls, value: object) -> object:
        try:
            check_json(value)
        except JsonProblem as exc:
            raise ValueError(exc.problem) from None
        return value

    @classmethod
    def parse(cls, text: str) -> PathValue:
        """`path=value` text as a PathValue (see the module's docstring); ValueError with a
        message for the user if it is not one."""
        path, equals, value = text.partition("=")
        if not equals:
            raise ValueError(f"expected PATH=VALUE, e.g. {EXAMPLE}; got {text!r}")
        check_path(path)
        try:
            return cls(path=path, value=parse_value(value))
        except ValueError as exc:
            raise ValueError(f"{path}: {exc}") from None

    @property
    def keys(self) -> tuple[str, ...]:
        """The path's keys, outermost first."""
        return tuple(self.path.split("."))

    def __str__(self) -> str:
        """The `path=value` text that parses back to this: strings are always quoted."""
        return f"{self.path}={json.dumps(self.value, ensure_ascii=False)}"


def with_value(payload: dict[str, Any], edit: PathValue) -> dict[str, Any]:
    """A copy of `payload` with `edit.value` at `edit.path`, creating missing objects on the way.

    Only the objects along the path are copied; `payload` is left as it was. ValueError if a
    key on the way holds something other than an object: overwriting it would lose data the
    user did not name.
    """
    top = dict(payload)
    node = top
    keys = edit.keys
    for depth, key in enumerate(keys[:-1]):
        child = node.get(key, {})
        if not isinstance(child, dict):
            where = ".".join(keys[: depth + 1])
            raise ValueError(f"cannot set {edit.path}: {where} holds {_kind(child)}, not an object")
        child = dict(child)
        node[key] = child
        node = child
    node[keys[-1]] = edit.value
    return top


def edited_payload(
    original: dict[str, Any], data: dict[str, Any] | None, edits: Iterable[PathValue]
) -> dict[str, Any]:
    """The payload a replay carries: `data` if given, else the original, then each edit in
    order. ValueError if an edit cannot be made (see `with_value`)."""
    payload = dict(original if data is None else data)
    for edit in edits:
        payload = with_value(payload, edit)
    return payload


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    return "an array" if isinstance(value, list) else f"a {type(value).__name__}"
