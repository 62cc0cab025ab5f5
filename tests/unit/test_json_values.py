"""The rules every JSON value from outside meets before it may be stored, at each bound's edge.

`load_json` reads text (request bodies, worker messages); `check_json` checks a value already in
Python (what an SDK action returned). Both refuse with the path to the problem and what it is.
"""

from __future__ import annotations

import enum
import json
import sys
from typing import Any

import pytest
from pydantic import TypeAdapter

from hatchetd.contracts.json_values import (
    LARGEST_NUMBER,
    MAX_DEPTH,
    JsonProblem,
    NotJson,
    check_json,
    describe_path,
    escape_unstorable,
    load_json,
    text_problem,
)

LIMITED = "numbers are limited to ±1.7976931348623157e308"
NUL = "contains a NUL character (\\u0000)"
LARGEST_INT = int(LARGEST_NUMBER)


def nested(levels: int, *, array: bool = False) -> str:
    """`levels` nested objects (or arrays) as JSON text; the outermost is level 1."""
    if array:
        return "[" * levels + "]" * levels
    return '{"a":' * (levels - 1) + "{}" + "}" * (levels - 1)


def refusal(text: str | bytes, *, envelope: int = 0) -> str:
    with pytest.raises(JsonProblem) as caught:
        load_json(text, envelope=envelope)
    return str(caught.value)


# -- text -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (r'{"name": "Ada\u0000"}', f"name: {NUL}"),
        (r'{"user": {"tags": ["ok", "\u0000"]}}', f"user.tags[1]: {NUL}"),
        (r'{"us\u0000er": 1}', f'["us\\u0000er"]: the key {NUL}'),
        (r'"\u0000"', f"the value: {NUL}"),
        (r'{"x": "\ud800"}', "x: contains a lone surrogate (\\ud800), which is not Unicode text"),
        (r'{"x": "a\udfff"}', "x: contains a lone surrogate (\\udfff), which is not Unicode text"),
        (r'{"x": "\ude00\ud83d"}',
         "x: contains a lone surrogate (\\ude00), which is not Unicode text"),
        (r'{"\ud800": 1}', '["\\ud800"]: the key contains a lone surrogate (\\ud800), which is not '
         "Unicode text"),
    ],
)  # fmt: skip
def test_text_with_a_nul_or_a_lone_surrogate_is_refused(text: str, message: str) -> None:
    assert refusal(text) == message


@pytest.mark.parametrize(
    "text",
    [
        r'"\u0001 ascii control characters are text"',
        r'"\ud83d\ude00 a surrogate pair is one character"',
        '"\ue000 \uffff the characters around the surrogates"',
        r'"\\u0000 an escaped backslash, then u0000"',
        '"ü ✓ 😀"',
    ],
)
def test_other_text_is_kept_as_sent(text: str) -> None:
    assert load_json(text) == json.loads(text)


def test_text_problem_says_what_makes_text_unstorable() -> None:
    assert text_problem("user:create ✓") is None
    assert text_problem("user:\x00") == "contains a NUL character (\\u0000)"
    assert text_problem("user:\udc80") == (
        "contains a lone surrogate (\\udc80), which is not Unicode text"
    )


def test_escape_unstorable_writes_what_cannot_be_stored_as_escapes() -> None:
    assert escape_unstorable("ValueError: a\x00b \udc80 ✓") == "ValueError: a\\x00b \\udc80 ✓"
    assert escape_unstorable("fine ✓") == "fine ✓"
    assert text_problem(escape_unstorable("\x00\ud800")) is None


# -- numbers --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("literal", "problem"),
    [
        ("NaN", "NaN is not a finite number"),
        ("Infinity", "Infinity is not a finite number"),
        ("-Infinity", "-Infinity is not a finite number"),
        ("1e400", f"1e400 is not a finite number: {LIMITED}"),
        ("-1.8e308", f"-1.8e308 is not a finite number: {LIMITED}"),
        ("1.7976931348623159e308", f"1.7976931348623159e308 is not a finite number: {LIMITED}"),
        ("1" + "0" * 400 + ".5", f"10000000000000000000… is not a finite number: {LIMITED}"),
        ("1e-400", "1e-400 is too small for a 64-bit float: it would be stored as 0"),
        ("-2e-324", "-2e-324 is too small for a 64-bit float: it would be stored as 0"),
        ("0.000E-999999", None),
        ("-0.0", None),
        ("3e-324", None),  # the smallest float, 5e-324, is the nearest
        ("1.7976931348623157e308", None),
        ("-1.7976931348623157e308", None),
        (str(LARGEST_INT), None),
        (str(-LARGEST_INT), None),
        (str(LARGEST_INT + 1), f"a 309-digit integer is out of range: {LIMITED}"),
        ("1" + "0" * 309, f"a 310-digit integer is out of range: {LIMITED}"),
        ("-" + "9" * 5000, f"a 5,000-digit integer is out of range: {LIMITED}"),
        ("9" * 100_000, f"a 100,000-digit integer is out of range: {LIMITED}"),
        ("18446744073709551617", None),
    ],
)
def test_numbers_must_be_finite_and_within_a_floats_range(
    literal: str, problem: str | None
) -> None:
    text = '{"x": [0, ' + literal + "]}"
    if problem is None:
        assert load_json(text) == json.loads(text)
    else:
        assert refusal(text) == f"x[1]: {problem}"


def test_integers_within_the_range_keep_every_digit() -> None:
    digits = "-" + "7" * 300
    assert load_json(digits) == int(digits)
    assert load_json(str(LARGEST_INT)) == LARGEST_INT


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        (float("nan"), "NaN is not a finite number"),
        (float("inf"), "Infinity is not a finite number"),
        (-float("inf"), "-Infinity is not a finite number"),
        (LARGEST_INT + 1, f"a 309-digit integer is out of range: {LIMITED}"),
        pytest.param(
            -(10**5000), f"a more than 4,300-digit integer is out of range: {LIMITED}", id="-1e5000"
        ),
        (LARGEST_NUMBER, None),
        (-LARGEST_INT, None),
        (sys.float_info.min / 2, None),  # a subnormal is a float like any other
    ],
)
def test_python_numbers_follow_the_same_rules(value: float, problem: str | None) -> None:
    if problem is None:
        check_json({"x": value})
    else:
        with pytest.raises(JsonProblem) as caught:
            check_json({"x": value})
        assert str(caught.value) == f"x: {problem}"


# -- nesting --------------------------------------------------------------------------------------


@pytest.mark.parametrize("array", [False, True], ids=["objects", "arrays"])
def test_nesting_stops_at_64_levels(array: bool) -> None:
    assert MAX_DEPTH == 64
    load_json(nested(64, array=array))
    path = "[0][0][0][0][0][0][0][0]…" if array else "a.a.a.a.a.a.a.a…"
    assert refusal(nested(65, array=array)) == f"{path}: nested deeper than 64 levels"


def test_an_envelope_around_the_values_adds_its_own_levels() -> None:
    body = '{"events": [{"data": ' + nested(64) + "}]}"
    load_json(body, envelope=3)
    too_deep = '{"events": [{"data": ' + nested(65) + "}]}"
    assert (
        refusal(too_deep, envelope=3) == "events[0].data.a.a.a.a.a…: nested deeper than 64 levels"
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param(
            '{"data": {"a": ' + "[" * 5000 + "]" * 5000 + "}}",
            "data.a[0][0][0][0][0][0]…",
            id="arrays",
        ),
        pytest.param(
            '{"data": {"a": [1, {"b": ' + nested(5000) + "}]}}", "data.a[1].b.a.a.a.a…", id="mixed"
        ),
        pytest.param(
            '{"data": {"x": "}]", ' + r'"y\"": [2, ' + nested(5000) + "]}}",
            'data["y\\""][1].a.a.a.a.a…',
            id="brackets-and-quotes-in-strings",
        ),
    ],
)
def test_thousands_of_levels_are_refused_with_the_path_where_they_go_too_deep(
    text: str, message: str
) -> None:
    """Python's parser gives up at about 1,000 levels; the path is then read from the text."""
    assert refusal(text, envelope=1) == f"{message}: nested deeper than 64 levels"


# -- keys, order, syntax --------------------------------------------------------------------------


def test_a_key_given_twice_is_refused_rather_than_one_value_dropped() -> None:
    assert refusal('{"user": {"a": 1, "b": 2, "a": 1}}') == (
        'user: the key "a" appears more than once'
    )
    assert refusal('{"a": 1, "a": 2}') == 'the value: the key "a" appears more than once'


def test_key_order_is_kept() -> None:
    assert list(load_json('{"z": 1, "a": {"y": 2, "b": 3}, "m": 4}')) == ["z", "a", "m"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"a": 1', "not valid JSON: Expecting ',' delimiter at line 1 column 8"),
        ("", "not valid JSON: Expecting value at line 1 column 1"),
        ('{"a": nan}', "not valid JSON: Expecting value at line 1 column 7"),
        (b'{"a": "\xff"}', "not UTF-8 JSON"),
    ],
)
def test_text_that_is_not_json_is_refused_saying_where(text: str | bytes, message: str) -> None:
    with pytest.raises(NotJson) as caught:
        load_json(text)
    assert str(caught.value) == message


# -- Python values --------------------------------------------------------------------------------


class Colour(enum.IntEnum):
    RED = 1


class Tag(str):
    pass


def test_python_values_json_can_carry_pass() -> None:
    check_json({"t": (1, 2), "e": Colour.RED, "s": Tag("x"), "n": None, "b": True})


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ({"s": {1, 2}}, "s: a set is not a JSON value"),
        ({1: "x"}, "the value: has the key 1, which is not a string"),
        ({"s": Tag("a\x00")}, f"s: {NUL}"),
        ([[[[0]]]], None),
    ],
)
def test_python_values_json_cannot_carry_are_refused(value: Any, message: str | None) -> None:
    if message is None:
        check_json(value)
        return
    with pytest.raises(JsonProblem) as caught:
        check_json(value)
    assert str(caught.value) == message


def test_a_value_nested_in_itself_is_refused_not_walked_forever() -> None:
    loop: list[Any] = []
    loop.append(loop)
    with pytest.raises(JsonProblem, match="nested deeper than 64 levels"):
        check_json(loop)


# -- messages -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "prefix", "text"),
    [
        (("user", "name"), "", "user.name"),
        (("user", "name"), "data", "data.user.name"),
        ((0, "a"), "", "[0].a"),
        (("first name", 2), "output", 'output["first name"][2]'),
        (("é", "\x00", "\ud800"), "", '["é"]["\\u0000"]["\\ud800"]'),
        (("x" * 50,), "", f'["{"x" * 40}…"]'),
        (tuple("abcdefghij"), "", "a.b.c.d.e.f.g.h…"),
        ((), "data", "data"),
        ((), "", ""),
    ],
)
def test_paths_are_written_the_way_a_reader_would(
    path: tuple[str | int, ...], prefix: str, text: str
) -> None:
    assert describe_path(path, prefix) == text


def test_a_problem_names_the_whole_value_when_it_has_no_path() -> None:
    problem = JsonProblem((), "NaN is not a finite number")
    assert (
        problem.describe(whole="the request body") == "the request body: NaN is not a finite number"
    )
    assert problem.describe("output") == "output: NaN is not a finite number"


def test_pydantic_alone_would_store_these_changed_which_is_why_bodies_are_read_here() -> None:
    """pydantic's parser (jiter) reads `1e-400` as 0 and `1e400` as infinity, and keeps the last
    of two equal keys; Python's json does the same. `load_json` reads the numbers' own text."""
    jiter = TypeAdapter(Any)
    assert jiter.validate_json('{"x": 1e-400}') == {"x": 0.0}
    assert jiter.validate_json('{"x": 1e400}') == {"x": float("inf")}
    assert jiter.validate_json('{"a": 1, "a": 2}') == {"a": 2}
    assert json.loads('{"x": 1e-400}') == {"x": 0.0}
    for text in ('{"x": 1e-400}', '{"x": 1e400}', '{"a": 1, "a": 2}'):
        with pytest.raises(JsonProblem):
            load_json(text)
