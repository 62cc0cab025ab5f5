"""`hatchet events list --where` and `--all` against an in-process daemon."""

from __future__ import annotations

import json

import pytest

from tests.cli.conftest import Hatchet, normalise


def push(hatchet: Hatchet, key: str, data: object) -> str:
    result = hatchet("events", "push", key, "--data", json.dumps(data), "-o", "id")
    assert result.exit_code == 0, result.stderr
    return result.stdout.strip()


@pytest.fixture
def orders(hatchet: Hatchet) -> dict[str, str]:
    """Four order events, pushed in this order; name → id."""
    return {
        "ada": push(
            hatchet,
            "order:paid",
            {"user": {"email": "ada@example.com"}, "total": 42, "vip": True, "zip": "02139"},
        ),
        "bo": push(
            hatchet,
            "order:paid",
            {"user": {"email": "bo@example.com"}, "total": 42.0, "vip": False, "zip": 2139},
        ),
        "cy": push(
            hatchet,
            "order:paid",
            {"user": {"email": "ada@example.com"}, "total": "42", "vip": None},
        ),
        "dee": push(hatchet, "order:refunded", {"user": {"email": "ada@example.com"}}),
    }


def listed(hatchet: Hatchet, orders: dict[str, str], *args: str) -> list[str]:
    """The names of the events `events list ARGS -o id` prints, newest first."""
    result = hatchet("events", "list", *args, "-o", "id")
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
    names = {event_id: name for name, event_id in orders.items()}
    return [names[line] for line in result.stdout.splitlines()]


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        pytest.param(["user.email=ada@example.com"], ["dee", "cy", "ada"], id="nested-string"),
        pytest.param(["total=42"], ["bo", "ada"], id="number-is-json-equal"),
        pytest.param(['total="42"'], ["cy"], id="quoted-is-a-string"),
        pytest.param(["vip=true"], ["ada"], id="boolean"),
        pytest.param(["vip=null"], ["cy"], id="null-but-not-missing"),
        pytest.param(['zip="02139"'], ["ada"], id="leading-zero-kept"),
        pytest.param(["zip=02139"], ["ada"], id="not-json-so-text"),
        pytest.param(["user.email=ada@example.com", "total=42"], ["ada"], id="all-must-hold"),
        pytest.param(["user.phone=1"], [], id="missing-path"),
    ],
)
def test_where_keeps_the_events_holding_the_value(
    hatchet: Hatchet, orders: dict[str, str], where: list[str], expected: list[str]
) -> None:
    args = [arg for w in where for arg in ("--where", w)]
    assert listed(hatchet, orders, *args) == expected


def test_where_combines_with_key_and_limit(hatchet: Hatchet, orders: dict[str, str]) -> None:
    email = "user.email=ada@example.com"
    assert listed(hatchet, orders, "--key", "order:paid", "-w", email) == ["cy", "ada"]
    assert listed(hatchet, orders, "-w", email, "--limit", "2") == ["dee", "cy"]


def test_where_as_json_is_the_api_page(hatchet: Hatchet, orders: dict[str, str]) -> None:
    result = hatchet("events", "list", "--where", "vip=true", "-o", "json")

    assert result.exit_code == 0
    page = json.loads(result.stdout)
    assert [event["id"] for event in page["items"]] == [orders["ada"]]
    assert page["next_cursor"] is None


def test_a_where_matching_nothing_says_so(hatchet: Hatchet, orders: dict[str, str]) -> None:
    result = hatchet("events", "list", "--where", "user.email=nobody@example.com")

    assert result.exit_code == 0
    assert result.stdout == "ID  KEY  CREATED  RUNS  REPLAY OF\n"
    assert result.stderr == "no events\n"


@pytest.mark.parametrize(
    ("where", "message"),
    [
        pytest.param(
            "user.email",
            "error: --where: expected PATH=VALUE, e.g. user.email=ada@example.com; "
            "got 'user.email'\n",
            id="no-equals",
        ),
        pytest.param(
            "=ada",
            "error: --where: the path is empty: write PATH=VALUE, e.g. "
            "user.email=ada@example.com\n",
            id="empty-path",
        ),
        pytest.param(
            "user..email=ada",
            "error: --where: bad path 'user..email': use object keys of letters, digits, '_' "
            "and '-' separated by '.', e.g. user.email\n",
            id="empty-key",
        ),
        pytest.param(
            "user['email']=ada",
            "error: --where: bad path \"user['email']\": use object keys of letters, digits, "
            "'_' and '-' separated by '.', e.g. user.email\n",
            id="brackets",
        ),
    ],
)
def test_a_bad_where_exits_6_with_one_line(hatchet: Hatchet, where: str, message: str) -> None:
    result = hatchet("events", "list", "--where", "vip=true", "--where", where)

    assert result.exit_code == 6
    assert result.stdout == ""
    assert result.stderr == message


def test_a_bad_where_exits_6_even_with_no_daemon(closed_address: str) -> None:
    from typer.testing import CliRunner

    from hatchet_cli.cli.app import app

    result = CliRunner().invoke(
        app, ["--address", closed_address, "events", "list", "--where", "nope"]
    )

    assert result.exit_code == 6
    assert result.stderr.startswith("error: --where: expected PATH=VALUE")


def test_all_follows_every_page(hatchet: Hatchet) -> None:
    ids = [push(hatchet, "tick:tock", {"n": n}) for n in range(7)]

    every = hatchet("events", "list", "--all", "--limit", "2", "-o", "id")
    as_json = hatchet("events", "list", "--all", "--limit", "3", "-o", "json")

    assert every.exit_code == 0
    assert every.stdout.splitlines() == ids[::-1]
    assert json.loads(as_json.stdout) == {
        "items": json.loads(hatchet("events", "list", "-o", "json").stdout)["items"],
        "next_cursor": None,
    }


def test_all_with_where_pages_over_the_matches(hatchet: Hatchet) -> None:
    ids = [push(hatchet, "tick:tock", {"n": n, "even": n % 2 == 0}) for n in range(7)]

    result = hatchet("events", "list", "-a", "-n", "1", "-w", "even=true", "-o", "id")

    assert result.stdout.splitlines() == [ids[6], ids[4], ids[2], ids[0]]


def test_all_as_a_table_is_one_table(hatchet: Hatchet) -> None:
    for n in range(3):
        push(hatchet, "tick:tock", {"n": n})

    result = hatchet("events", "list", "--all", "--limit", "1")

    assert result.exit_code == 0
    assert [line.split() for line in normalise(result.stdout).splitlines()] == [
        ["ID", "KEY", "CREATED", "RUNS", "REPLAY", "OF"],
        ["<id1>", "tick:tock", "<time>", "0", "-"],
        ["<id2>", "tick:tock", "<time>", "0", "-"],
        ["<id3>", "tick:tock", "<time>", "0", "-"],
    ]
    assert result.stderr == ""


def test_a_partial_table_says_more_match(hatchet: Hatchet) -> None:
    for n in range(3):
        push(hatchet, "tick:tock", {"n": n})

    partial = hatchet("events", "list", "--limit", "2")
    whole = hatchet("events", "list", "--limit", "3")

    assert len(partial.stdout.splitlines()) == 3
    assert partial.stderr == "the newest 2 shown; more match: --all lists every one\n"
    assert whole.stderr == ""
