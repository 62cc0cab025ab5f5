"""`path=value`: how `--where`, `--set` and the API's `where` read a value at a dot path."""

from __future__ import annotations

import re
from typing import Any

import pytest
from pydantic import ValidationError

from hatchetd.contracts.payload_paths import PathValue, edited_payload, parse_value, with_value


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("42", 42),
        ("-4.5", -4.5),
        ("1e3", 1000.0),
        ("true", True),
        ("false", False),
        ("null", None),
        ('"42"', "42"),
        ('"with \\"quotes\\""', 'with "quotes"'),
        ("ada@example.com", "ada@example.com"),
        ("02139", "02139"),  # not JSON: a number has no leading zero
        ("True", "True"),
        ("", ""),
        (" 42", " 42"),  # spaces are kept, so this is what was typed
        ("NaN", "NaN"),
        ("Infinity", "Infinity"),
        ("-Infinity", "-Infinity"),
        ("18446744073709551617", 18446744073709551617),
        ("1.7976931348623157e308", 1.7976931348623157e308),
        ("[1, 2]", "[1, 2]"),
        ('{"a": 1}', '{"a": 1}'),
        ("a=b", "a=b"),
    ],
)
def test_a_value_is_a_json_scalar_or_the_text_as_typed(text: str, value: Any) -> None:
    parsed = parse_value(text)
    assert parsed == value
    assert type(parsed) is type(value)


def test_text_splits_at_the_first_equals_sign() -> None:
    parsed = PathValue.parse("query.q=a=b")
    assert (parsed.path, parsed.keys, parsed.value) == ("query.q", ("query", "q"), "a=b")


@pytest.mark.parametrize(
    "text", ["user.email=ada@example.com", "n=42", "vip=true", "x=null", 'zip="02139"', "s=42x"]
)
def test_str_parses_back_to_the_same_value(text: str) -> None:
    parsed = PathValue.parse(text)
    assert PathValue.parse(str(parsed)) == parsed


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("nope", "expected PATH=VALUE, e.g. user.email=ada@example.com; got 'nope'"),
        ("=1", "the path is empty: write PATH=VALUE, e.g. user.email=ada@example.com"),
        (".a=1", "bad path '.a'"),
        ("a.=1", "bad path 'a.'"),
        ("a b=1", "bad path 'a b'"),
        ("a[0]=1", "bad path 'a[0]'"),
        ('a"=1', "bad path 'a\"'"),
        ("ü=1", "bad path 'ü'"),
    ],
)
def test_a_bad_path_is_refused_with_a_message(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=f"^{re.escape(message)}"):
        PathValue.parse(text)


LIMITED = "numbers are limited to ±1.7976931348623157e308"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("x=1e999", f"x: 1e999 is not a finite number: {LIMITED}"),
        ("x=-1e400", f"x: -1e400 is not a finite number: {LIMITED}"),
        ("x=1e-400", "x: 1e-400 is too small for a 64-bit float: it would be stored as 0"),
        ("x=" + "9" * 309, f"x: a 309-digit integer is out of range: {LIMITED}"),
        ("x=" + "9" * 5000, f"x: a 5,000-digit integer is out of range: {LIMITED}"),
        ("x=a\x00b", "x: contains a NUL character (\\u0000)"),
        ('x="a\\u0000b"', "x: contains a NUL character (\\u0000)"),
    ],
)
def test_a_value_no_payload_may_hold_is_refused_rather_than_read_as_text(
    text: str, message: str
) -> None:
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        PathValue.parse(text)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            ".".join(["a"] * 65) + "=1",
            "the path a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a… has 65 keys; a path has at most 64",
        ),
        (
            ".".join(["k" * 20] * 60) + "=1",
            "the path kkkkkkkkkkkkkkkkkkkk… is 1,259 characters long; a path has at most 1,024",
        ),
    ],
)
def test_a_path_has_at_most_64_keys_and_1024_characters(text: str, message: str) -> None:
    PathValue.parse(".".join(["a"] * 64) + "=1")
    PathValue.parse(".".join(["k" * 15] * 64) + "=1")  # 1,023 characters
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        PathValue.parse(text)


def test_the_model_checks_paths_and_values_too() -> None:
    with pytest.raises(ValidationError, match="bad path"):
        PathValue(path="a..b", value=1)
    with pytest.raises(ValidationError, match="NaN is not a finite number"):
        PathValue(path="a", value=float("nan"))
    with pytest.raises(ValidationError, match="contains a NUL character"):
        PathValue(path="a", value="\x00")
    with pytest.raises(ValidationError):
        PathValue.model_validate({"path": "a", "value": {"nested": 1}})


def test_with_value_creates_missing_objects_and_copies_only_the_path() -> None:
    untouched = {"keep": 1}
    payload: dict[str, Any] = {"user": {"name": "Ada"}, "other": untouched}

    edited = with_value(payload, PathValue(path="user.address.city", value="London"))

    assert edited == {
        "user": {"name": "Ada", "address": {"city": "London"}},
        "other": {"keep": 1},
    }
    assert payload == {"user": {"name": "Ada"}, "other": {"keep": 1}}
    assert edited["other"] is untouched


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ({"user": "ada"}, "cannot set user.name: user holds a string, not an object"),
        ({"user": None}, "cannot set user.name: user holds null, not an object"),
        ({"user": [1]}, "cannot set user.name: user holds an array, not an object"),
        ({"user": 4}, "cannot set user.name: user holds a number, not an object"),
        ({"user": False}, "cannot set user.name: user holds a boolean, not an object"),
    ],
)
def test_with_value_never_overwrites_what_is_not_an_object(
    payload: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        with_value(payload, PathValue(path="user.name", value="Bo"))


def test_an_edited_payload_starts_from_data_and_applies_edits_in_order() -> None:
    edits = [PathValue.parse(text) for text in ("a=1", "a=2", "b.c=true")]

    assert edited_payload({"x": 1}, None, edits) == {"x": 1, "a": 2, "b": {"c": True}}
    assert edited_payload({"x": 1}, {"y": 2}, edits) == {"y": 2, "a": 2, "b": {"c": True}}
    assert edited_payload({"x": 1}, None, []) == {"x": 1}
