"""Durations in workflow files: Go style (`300ms`, `15s`, `1m30s`, `2h`) or a number of seconds.

A duration is stored as float seconds (what the engine computes with) and written back in one
canonical Go-style text (`90` and `1m30s` both dump as `1m30s`), so the checksum of a workflow does
not depend on how its author spelled a timeout.
"""

from __future__ import annotations

import math
import re
from decimal import Decimal, InvalidOperation
from typing import Annotated

from pydantic import BeforeValidator, PlainSerializer, WithJsonSchema
from pydantic_core import PydanticCustomError

__all__ = ["Duration", "format_duration", "parse_duration"]

_UNIT_SECONDS = {
    "ns": Decimal("0.000000001"),
    "us": Decimal("0.000001"),
    "µs": Decimal("0.000001"),  # U+00B5 MICRO SIGN, as Go writes it
    "μs": Decimal("0.000001"),  # U+03BC GREEK SMALL LETTER MU, as keyboards often type it
    "ms": Decimal("0.001"),
    "s": Decimal(1),
    "m": Decimal(60),
    "h": Decimal(3600),
}
_NUMBER = r"(?:\d+(?:\.\d*)?|\.\d+)"
# Longest units first, so that `ms` is not read as `m` followed by a stray `s`.
_UNIT = "|".join(sorted(_UNIT_SECONDS, key=len, reverse=True))
_PART = re.compile(rf"({_NUMBER})({_UNIT})")
_GO_STYLE = re.compile(rf"(?:{_NUMBER}(?:{_UNIT}))+")
_PLAIN_NUMBER = re.compile(_NUMBER)

_HINT = "use Go style like 300ms, 15s, 1m30s or a number of seconds"


class DurationError(ValueError):
    """A value that is not a duration; the message says what to write instead."""


def _shown(value: object) -> str:
    """The value as its author wrote it, near enough (YAML spells booleans in lower case)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _kind(value: object) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return type(value).__name__


def parse_duration(value: object) -> float:
    """Seconds in `value`: a Go-style duration text, a number, or a number written as text.

    Raises DurationError with a message meant for the author of the file.
    """
    if isinstance(value, bool):
        raise DurationError(f"invalid duration '{_shown(value)}': {_HINT}")
    if not isinstance(value, int | float | str):
        raise DurationError(f"expected a duration, got {_kind(value)}: {_HINT}")
    if isinstance(value, str):
        text = value.strip()
        if _PLAIN_NUMBER.fullmatch(text):
            seconds = Decimal(text)
        elif _GO_STYLE.fullmatch(text):
            seconds = sum(
                (Decimal(number) * _UNIT_SECONDS[unit] for number, unit in _PART.findall(text)),
                Decimal(0),
            )
        else:
            raise DurationError(f"invalid duration '{value}': {_HINT}")
    else:
        if not math.isfinite(value):
            raise DurationError(f"invalid duration '{_shown(value)}': {_HINT}")
        try:
            seconds = Decimal(str(value))
        except InvalidOperation:  # pragma: no cover - str() of a finite number always parses
            raise DurationError(f"invalid duration '{_shown(value)}': {_HINT}") from None
    if seconds <= 0:
        raise DurationError(f"invalid duration '{_shown(value)}': must be more than zero")
    return float(seconds)


def format_duration(seconds: float) -> str:
    """The canonical text of a duration: `300ms`, `15s`, `1m30s`, `2h`, `1h2m3.5s`.

    Precision is one microsecond; units that are zero are left out.
    """
    micros = round(seconds * 1_000_000)
    if micros <= 0:
        return "0s"
    if micros < 1_000_000:
        if micros >= 1000:
            return f"{_decimal_text(Decimal(micros) / 1000)}ms"
        return f"{micros}us"
    hours, rest = divmod(micros, 3_600_000_000)
    minutes, rest = divmod(rest, 60_000_000)
    text = ""
    if hours:
        text += f"{hours}h"
    if minutes:
        text += f"{minutes}m"
    if rest:
        text += f"{_decimal_text(Decimal(rest) / 1_000_000)}s"
    return text


def _decimal_text(number: Decimal) -> str:
    """`1.500` → `1.5`, `2.000` → `2`: no trailing zeros, never an exponent."""
    text = f"{number:f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def _validate(value: object) -> float:
    try:
        return parse_duration(value)
    except DurationError as exc:
        # A custom error keeps the message exactly as written (no "Value error, " prefix).
        raise PydanticCustomError("duration", "{message}", {"message": str(exc)}) from None


Duration = Annotated[
    float,
    BeforeValidator(_validate),
    PlainSerializer(format_duration, return_type=str),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string", "pattern": rf"^{_GO_STYLE.pattern}$", "examples": ["1m30s"]},
                {"type": "number", "exclusiveMinimum": 0},
            ],
            "description": "Go style (300ms, 15s, 1m30s, 2h) or a number of seconds.",
        }
    ),
]
"""Float seconds in Python; Go-style text in YAML and in every dump."""
