"""JSON values hatchetd can store exactly, and the one check every value from outside passes.

What a client or a worker sends that may reach the store (an event's payload, key and
idempotency key, a replay's `data` and `set`, a `where` filter, a step's output, error, traceback
and log lines, a worker's name and actions) is read with `load_json`, or checked with
`check_json` when it is already a Python value, before anything else looks at it. A value that
breaks a rule is refused whole, naming the path to it and the problem; it is never stored
changed. The rules, and why each exists:

- **No NUL character** (U+0000) in a string or an object key: PostgreSQL's text and jsonb
  cannot hold one.
- **No lone surrogate** (an unpaired `\\ud800`…`\\udfff` escape): it is not Unicode text, so it
  has no UTF-8 form, for PostgreSQL or for the answer.
- **Finite numbers within a 64-bit float's range**, ±1.7976931348623157e308. `NaN`, `Infinity`
  and `1e400` have no JSON form (SQLite stored them as null, PostgreSQL refused them), and no
  float, nor a JavaScript client, holds an integer beyond that range. A non-zero number too small
  for a float (`1e-400`) would be stored as 0, so it is refused as well. Integers within the
  range (up to 309 digits) are kept digit for digit on both stores; other numbers are 64-bit
  floats, rounded to the nearest one as every JSON parser does.
- **At most 64 levels of nesting**, the outermost object or array being the first: deeper
  documents overflow parsers (Python's json recurses; SQLite's JSON functions have a limit).
- **Each key once per object**: JSON text may repeat a key, but a stored object cannot keep both
  values, and silently keeping the last would store something other than what was sent.
"""

from __future__ import annotations

import json
import math
import re
import sys
from collections.abc import Sequence
from typing import Any

MAX_DEPTH = 64
"""How deep objects and arrays may nest in a payload or output (the outermost is level 1)."""
LARGEST_NUMBER = sys.float_info.max
"""The largest magnitude of a number, 1.7976931348623157e308: a 64-bit float's range."""

_LARGEST_INT = int(LARGEST_NUMBER)
_MAX_INT_TEXT = len(str(_LARGEST_INT)) + 1  # its 309 digits and a sign
_LIMITED = "numbers are limited to ±1.7976931348623157e308"
_SURROGATE = re.compile("[\ud800-\udfff]")
_PLAIN_KEY = re.compile(r"[A-Za-z0-9_-]+")
_EXPONENT = re.compile(r"[eE].*")
_TOO_DEEP = f"nested deeper than {MAX_DEPTH} levels"
_SHOWN_STEPS = 8
"""How much of a long path a message shows before `…`."""

Step = str | int
"""One step of a path: an object key or an array index."""


class JsonProblem(ValueError):
    """A value that breaks one of the rules: where it is, and what is wrong with it."""

    def __init__(self, path: Sequence[Step], problem: str) -> None:
        self.path = tuple(path)
        self.problem = problem
        super().__init__(self.describe())

    def describe(self, prefix: str = "", *, whole: str = "the value") -> str:
        """`prefix.path: problem`, e.g. `data.user.name: contains a NUL character (\\u0000)`;
        `whole` names the value itself when the path is empty and there is no prefix."""
        return f"{describe_path(self.path, prefix) or whole}: {self.problem}"


class NotJson(ValueError):
    """Text that is not JSON at all; the message says where it goes wrong."""


def describe_path(path: Sequence[Step], prefix: str = "") -> str:
    """A path as a reader writes it: `data.user["first name"].tags[2]`; long paths end in `…`."""
    text = prefix
    for i, step in enumerate(path):
        if i == _SHOWN_STEPS:
            return text + "…"
        if isinstance(step, int):
            text += f"[{step}]"
        elif len(step) <= 40 and _PLAIN_KEY.fullmatch(step):
            text += f".{step}" if text else step
        else:
            shown = json.dumps(step[:40] + ("…" if len(step) > 40 else ""), ensure_ascii=False)
            text += f"[{_escape_surrogates(shown)}]"  # json.dumps has escaped NUL already
    return text


def text_problem(text: str) -> str | None:
    """What makes `text` unstorable, or None."""
    if "\x00" in text:
        return "contains a NUL character (\\u0000)"
    if not text.isascii():
        lone = _SURROGATE.search(text)
        if lone is not None:
            return (
                f"contains a lone surrogate (\\u{ord(lone.group()):04x}), which is not Unicode text"
            )
    return None


def escape_unstorable(text: str) -> str:
    """`text` with each NUL and lone surrogate written as its escape (`\\x00`, `\\udc80`), for text
    the sender composes itself, such as an exception's message: readable, and storable."""
    if text_problem(text) is None:
        return text
    return _escape_surrogates(text.replace("\x00", "\\x00"))


def _escape_surrogates(text: str) -> str:
    return _SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def check_json(value: object, *, envelope: int = 0) -> None:
    """Raise `JsonProblem` for the first part of `value`, in document order, that breaks a rule
    (see the module's docstring); return if there is none. `value` is what `json.loads` gives:
    dicts with str keys, lists, str, int, float, bool and None (tuples pass as arrays).

    `envelope` is how many levels of a document surround the values it carries: a push's body is
    one object around its `data`, so its `data` may nest `MAX_DEPTH` levels within it."""
    found = _problem(value, 0, MAX_DEPTH + envelope)
    if found is not None:
        path, problem = found
        raise JsonProblem(path[::-1], problem)


def load_json(text: str | bytes | bytearray, *, envelope: int = 0) -> Any:
    """Parse JSON text and check it with `check_json`; `NotJson` if it does not parse.

    The numbers are read from their own text, so a refusal quotes what was sent (`1e400`, not
    `inf`) and an integer of thousands of digits is refused before it is converted.
    """
    if not isinstance(text, str):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError:
            raise NotJson("not UTF-8 JSON") from None
    try:
        value = _DECODER.decode(text)
    except json.JSONDecodeError as exc:
        raise NotJson(
            f"not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        ) from None
    except RecursionError:
        raise JsonProblem(_too_deep_at(text, MAX_DEPTH + envelope), _TOO_DEEP) from None
    check_json(value, envelope=envelope)
    return value


# -- the walk -------------------------------------------------------------------------------------

_Found = tuple[list[Step], str]
"""A problem and the path to it, innermost step first (built on the way out)."""


def _problem(value: object, depth: int, max_depth: int) -> _Found | None:
    if type(value) is str:
        problem = text_problem(value)
        return None if problem is None else ([], problem)
    if type(value) is bool or value is None:
        return None
    if type(value) is int:
        return _int_problem(value)
    if type(value) is float:
        return None if math.isfinite(value) else ([], _not_finite(value))
    if type(value) is dict or type(value) is list:
        return _container_problem(value, depth, max_depth)
    return _unusual_problem(value, depth, max_depth)


def _container_problem(value: object, depth: int, max_depth: int) -> _Found | None:
    if depth >= max_depth:
        return [], _TOO_DEEP
    if isinstance(value, dict):
        for key, item in value.items():
            if type(key) is not str:
                return [], f"has the key {key!r}, which is not a string"
            if "\x00" in key or not key.isascii():
                problem = text_problem(key)
                if problem is not None:
                    return [key], f"the key {problem}"
            if type(item) is str and "\x00" not in item and item.isascii():
                continue  # the commonest value, checked without a call
            found = _problem(item, depth + 1, max_depth)
            if found is not None:
                found[0].append(key)
                return found
        return None
    assert isinstance(value, list | tuple)
    for index, item in enumerate(value):
        if type(item) is str and "\x00" not in item and item.isascii():
            continue
        found = _problem(item, depth + 1, max_depth)
        if found is not None:
            found[0].append(index)
            return found
    return None


def _unusual_problem(value: object, depth: int, max_depth: int) -> _Found | None:
    """Subclasses, markers left by `load_json`, and what JSON cannot hold at all."""
    if isinstance(value, _Refused):
        return [], value.problem
    if isinstance(value, _RepeatedKey):
        return [], f"the key {json.dumps(value.key)} appears more than once"
    if isinstance(value, str):
        return _problem(str(value), depth, max_depth)
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return _int_problem(int(value))
    if isinstance(value, float):
        return _problem(float(value), depth, max_depth)
    if isinstance(value, dict | list | tuple):
        return _container_problem(value, depth, max_depth)
    return [], f"a {type(value).__name__} is not a JSON value"


def _int_problem(value: int) -> _Found | None:
    if -_LARGEST_INT <= value <= _LARGEST_INT:
        return None
    digits = len(str(abs(value))) if value.bit_length() < 14_000 else None
    return [], _int_out_of_range(f"{digits:,}" if digits else "more than 4,300")


def _int_out_of_range(digits: str) -> str:
    return f"a {digits}-digit integer is out of range: {_LIMITED}"


def _not_finite(value: float) -> str:
    name = "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    return f"{name} is not a finite number"


# -- parsing --------------------------------------------------------------------------------------


class _Refused:
    """Stands in for a number `check_json` must refuse; the parser cannot say where it is."""

    __slots__ = ("problem",)

    def __init__(self, problem: str) -> None:
        self.problem = problem


class _RepeatedKey(dict[str, Any]):
    """An object whose text gave a key twice; `check_json` refuses it with the path."""

    def __init__(self, key: str) -> None:
        super().__init__()
        self.key = key


def _float(text: str) -> float | _Refused:
    value = float(text)
    if not math.isfinite(value):
        return _Refused(f"{_shorten(text)} is not a finite number: {_LIMITED}")
    if value == 0.0 and _EXPONENT.sub("", text).strip("-0.") != "":  # 1e-400, not 0.0e5
        return _Refused(
            f"{_shorten(text)} is too small for a 64-bit float: it would be stored as 0"
        )
    return value


def _int(text: str) -> int | _Refused:
    if len(text) > _MAX_INT_TEXT:  # converting thousands of digits is slow, and refused anyway
        return _Refused(_int_out_of_range(f"{len(text.lstrip('-')):,}"))
    return int(text)


def _constant(name: str) -> _Refused:
    return _Refused(f"{name} is not a finite number")  # NaN, Infinity, -Infinity


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    value = dict(pairs)
    if len(value) == len(pairs):
        return value
    seen: set[str] = set()
    for key, _ in pairs:
        if key in seen:
            return _RepeatedKey(key)
        seen.add(key)
    raise AssertionError("unreachable: a shorter dict has a repeated key")


def _shorten(text: str) -> str:
    return text if len(text) <= 24 else f"{text[:20]}…"


_DECODER = json.JSONDecoder(
    parse_float=_float, parse_int=_int, parse_constant=_constant, object_pairs_hook=_object
)
"""Made once: `json.loads` with hooks would build a decoder for every document."""


_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[{}\[\]:,]')
_SCAN_LIMIT = 1_000_000
"""Tokens read to find where a too-deep document goes too deep, before giving up on the path."""


def _too_deep_at(text: str, max_depth: int) -> tuple[Step, ...]:
    """The path to the first object or array nested deeper than `max_depth`, read from the
    text without recursing (the parser gave up); empty if the text is too long to say."""
    path: list[Step] = []
    in_object: list[bool] = []
    expecting_key = False
    for count, match in enumerate(_TOKEN.finditer(text)):
        if count == _SCAN_LIMIT:
            return ()
        token = match.group()
        if token in ("{", "["):
            if len(in_object) == max_depth:
                return tuple(path)
            in_object.append(token == "{")
            path.append("" if token == "{" else 0)
            expecting_key = token == "{"
        elif token in ("}", "]"):
            if not in_object:
                return ()  # not the text the parser read; no path to give
            in_object.pop()
            path.pop()
            expecting_key = False
        elif token == ",":
            if in_object and not in_object[-1]:
                path[-1] = int(path[-1]) + 1
            expecting_key = bool(in_object) and in_object[-1]
        elif token == ":":
            expecting_key = False
        elif expecting_key:  # a string where a key goes
            path[-1] = json.loads(token)
    return ()
