"""`hatchet events replay --set`: each replayed event's own payload, edited by dot path."""

from __future__ import annotations

import json
import re

from tests.cli.conftest import Hatchet, normalise


def push(hatchet: Hatchet, key: str, data: object) -> dict[str, object]:
    result = hatchet("events", "push", key, "--data", json.dumps(data), "-o", "json")
    assert result.exit_code == 0, result.stderr
    event: dict[str, object] = json.loads(result.stdout)
    return event


def event_ids(hatchet: Hatchet) -> list[str]:
    return hatchet("events", "list", "-o", "id").stdout.splitlines()


def test_set_edits_each_events_own_payload(hatchet: Hatchet) -> None:
    ada = push(hatchet, "user:create", {"user": {"email": "ada@example.com", "plan": "free"}})
    bo = push(hatchet, "user:create", {"user": {"email": "bo@example.com"}})

    result = hatchet(
        "events", "replay", "--key", "user:create",
        "--set", "user.plan=pro", "--set", "flags.vip=true", "--set", 'flags.zip="02139"',
        "-o", "json",
    )  # fmt: skip

    assert result.exit_code == 0, result.stderr
    replays = json.loads(result.stdout)["events"]
    assert [(r["replayed_from_id"], r["data"]) for r in replays] == [
        (
            ada["id"],
            {
                "user": {"email": "ada@example.com", "plan": "pro"},
                "flags": {"vip": True, "zip": "02139"},
            },
        ),
        (
            bo["id"],
            {
                "user": {"email": "bo@example.com", "plan": "pro"},
                "flags": {"vip": True, "zip": "02139"},
            },
        ),
    ]
    shown = json.loads(hatchet("events", "show", str(ada["id"]), "-o", "json").stdout)
    assert shown["event"]["data"] == ada["data"]  # the original is never edited


def test_set_applies_after_data(hatchet: Hatchet) -> None:
    event = push(hatchet, "user:create", {"user": {"email": "ada@example.com"}})

    result = hatchet(
        "events", "replay", str(event["id"]),
        "--data", '{"user": {"email": "grace@example.com"}}', "--set", "user.age=36",
        "-o", "json",
    )  # fmt: skip

    assert result.exit_code == 0, result.stderr
    [replayed] = json.loads(result.stdout)["events"]
    assert replayed["data"] == {"user": {"email": "grace@example.com", "age": 36}}


def test_a_dry_run_with_set_shows_the_edited_payloads_and_writes_nothing(
    hatchet: Hatchet,
) -> None:
    push(hatchet, "user:create", {"user": {"email": "ada@example.com"}})
    push(hatchet, "user:create", {"user": {"email": "bo@example.com"}, "n": 1})
    before = event_ids(hatchet)

    table = hatchet("events", "replay", "--key", "user:*", "--set", "user.vip=true", "--dry-run")
    as_json = hatchet(
        "events", "replay", "--key", "user:*", "--set", "n=null", "--dry-run", "-o", "json"
    )

    assert table.exit_code == 0, table.stderr
    assert [re.split(r"\s{2,}", line) for line in normalise(table.stdout).splitlines()] == [
        ["ID", "KEY", "CREATED", "DATA"],
        ["<id1>", "user:create", "<time>", '{"user":{"email":"ada@example.com","vip":true}}'],
        ["<id2>", "user:create", "<time>", '{"user":{"email":"bo@example.com","vip":true},"n":1}'],
    ]
    assert table.stderr == "would replay 2 events\n"
    document = json.loads(as_json.stdout)
    assert document["dry_run"] is True
    assert [event["data"] for event in document["events"]] == [
        {"user": {"email": "ada@example.com"}, "n": None},
        {"user": {"email": "bo@example.com"}, "n": None},
    ]
    assert event_ids(hatchet) == before


def test_a_dry_run_without_edits_keeps_the_usual_table(hatchet: Hatchet) -> None:
    push(hatchet, "user:create", {"user": {"email": "ada@example.com"}})

    result = hatchet("events", "replay", "--key", "user:create", "--dry-run")

    assert normalise(result.stdout).splitlines()[0].split() == [
        "ID", "KEY", "CREATED", "RUNS", "REPLAY", "OF",
    ]  # fmt: skip


def test_a_bad_set_path_exits_6_with_one_line_and_replays_nothing(hatchet: Hatchet) -> None:
    event = push(hatchet, "user:create", {"user": {}})

    result = hatchet("events", "replay", str(event["id"]), "--set", "user.first name=Ada")

    assert result.exit_code == 6
    assert result.stdout == ""
    assert result.stderr == (
        "error: --set: bad path 'user.first name': use object keys of letters, digits, '_' "
        "and '-' separated by '.', e.g. user.email\n"
    )
    assert event_ids(hatchet) == [event["id"]]


def test_a_set_without_a_value_exits_6(hatchet: Hatchet) -> None:
    event = push(hatchet, "user:create", {})

    result = hatchet("events", "replay", str(event["id"]), "--set", "user.vip")

    assert result.exit_code == 6
    assert result.stderr == (
        "error: --set: expected PATH=VALUE, e.g. user.email=ada@example.com; got 'user.vip'\n"
    )


def test_a_set_through_a_value_that_is_not_an_object_exits_6_and_replays_nothing(
    hatchet: Hatchet,
) -> None:
    fine = push(hatchet, "user:create", {"user": {"email": "ada@example.com"}})
    stuck = push(hatchet, "user:create", {"user": "bo@example.com"})

    for dry_run in ([], ["--dry-run"]):
        result = hatchet("events", "replay", "-k", "user:create", "--set", "user.vip=1", *dry_run)

        assert result.exit_code == 6
        assert result.stdout == ""
        assert result.stderr == (
            f"error: event {stuck['id']}: cannot set user.vip: user holds a string, not an "
            "object; nothing was replayed\n"
        )
    assert sorted(event_ids(hatchet)) == sorted([str(fine["id"]), str(stuck["id"])])
