"""`hatchet events`: push, list, show and replay against an in-process daemon."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from hatchet_cli.cli.app import app
from tests.cli.conftest import Hatchet, normalise
from tests.unit.stand_in_daemon import Answer, serving

SIGNUP = '{"user": {"firstName": "Ada", "email": "ada@example.com"}}'


def push(hatchet: Hatchet, *args: str) -> dict[str, object]:
    """The event a push stored, as `events list` and `events show` give it: the push's document
    without what only a push answers (`existing`, `similar_keys`)."""
    result = hatchet("events", "push", "user:create", "--data", SIGNUP, "-o", "json", *args)
    assert result.exit_code == 0, result.stderr
    document: dict[str, object] = json.loads(result.stdout)
    assert (document.pop("existing"), document.pop("similar_keys")) == (False, [])
    return document


def test_push_prints_the_stored_event_as_json(hatchet: Hatchet) -> None:
    result = hatchet("events", "push", "user:create", "--data", SIGNUP, "-o", "json")
    assert result.exit_code == 0
    assert normalise(result.stdout) == normalise(
        json.dumps(
            {
                "id": "00000000-0000-0000-0000-000000000001",
                "key": "user:create",
                "data": json.loads(SIGNUP),
                "created_at": "2026-01-01T00:00:00Z",
                "replayed_from_id": None,
                # made up for the push, so that its retries store it once
                "idempotency_key": "00000000-0000-0000-0000-000000000002",
                "run_ids": ["00000000-0000-0000-0000-000000000003"],
                "replay_ids": [],
                "existing": False,
                "similar_keys": [],
            },
            indent=2,
        )
        + "\n"
    )
    assert result.stderr == ""


def test_push_as_a_table_reports_the_runs_on_stderr(hatchet: Hatchet) -> None:
    result = hatchet("events", "push", "user:create", "--data", SIGNUP)
    assert result.exit_code == 0
    assert [line.split() for line in normalise(result.stdout).splitlines()] == [
        ["ID", "KEY", "CREATED", "RUNS", "REPLAY", "OF"],
        ["<id1>", "user:create", "<time>", "<id2>", "-"],  # the run's id, to show it next
    ]
    assert result.stderr == "pushed user:create, triggered 1 run\n"


def test_push_reads_data_from_a_file_and_from_stdin(hatchet: Hatchet, tmp_path: Path) -> None:
    (tmp_path / "ada.json").write_text(SIGNUP)
    from_file = hatchet(
        "events", "push", "user:create", "-d", f"@{tmp_path / 'ada.json'}", "-o", "json"
    )
    from_stdin = hatchet("events", "push", "user:create", "-d", "-", "-o", "json", stdin=SIGNUP)
    assert json.loads(from_file.stdout)["data"] == json.loads(SIGNUP)
    assert json.loads(from_stdin.stdout)["data"] == json.loads(SIGNUP)


def test_push_with_id_output_prints_the_id_alone(hatchet: Hatchet) -> None:
    result = hatchet("events", "push", "user:create", "-o", "id")
    assert result.exit_code == 0
    assert normalise(result.stdout) == "<id1>\n"


def test_the_same_idempotency_key_returns_the_first_event_and_says_so(hatchet: Hatchet) -> None:
    first = push(hatchet, "--idempotency-key", "signup-ada")
    args = ("events", "push", "user:create", "--data", SIGNUP, "--idempotency-key", "signup-ada")
    again = hatchet(*args, "-o", "json")
    table = hatchet(*args)

    assert json.loads(again.stdout)["id"] == first["id"]
    assert json.loads(again.stdout)["existing"] is True
    assert table.exit_code == 0
    assert table.stdout.splitlines()[1].split()[0] == first["id"]
    assert table.stderr == (
        f"idempotency key signup-ada was pushed before: returned the existing event "
        f"{first['id']} (1 run); nothing new was stored or started\n"
    )


def test_an_idempotency_conflict_is_invalid_input(hatchet: Hatchet) -> None:
    push(hatchet, "--idempotency-key", "signup-ada")
    result = hatchet("events", "push", "user:create", "-d", "{}", "--idempotency-key", "signup-ada")
    assert result.exit_code == 6
    assert result.stdout == ""
    assert result.stderr.startswith("error: ")
    assert len(result.stderr.splitlines()) == 1


def test_bad_json_exits_6_with_one_line(hatchet: Hatchet) -> None:
    result = hatchet("events", "push", "user:create", "--data", "{nope")
    assert result.exit_code == 6
    assert result.stdout == ""
    assert result.stderr == (
        "error: --data: invalid JSON in the value: Expecting property name enclosed in double "
        "quotes at line 1 column 2\n"
    )


def test_data_that_is_not_an_object_exits_6(hatchet: Hatchet) -> None:
    result = hatchet("events", "push", "user:create", "--data", "[1, 2]")
    assert result.exit_code == 6
    assert result.stderr == "error: --data: expected a JSON object, got list\n"


def test_a_missing_data_file_exits_6(hatchet: Hatchet, tmp_path: Path) -> None:
    missing = tmp_path / "nope.json"
    result = hatchet("events", "push", "user:create", "--data", f"@{missing}")
    assert result.exit_code == 6
    assert result.stderr == f"error: --data: no such file: {missing}\n"


def test_list_prints_the_api_page_newest_first(hatchet: Hatchet) -> None:
    first = push(hatchet)
    second = push(hatchet)
    result = hatchet("events", "list", "-o", "json")
    assert result.exit_code == 0
    page = json.loads(result.stdout)
    assert page == {"items": [second, first], "next_cursor": None}


def test_list_filters_by_key_and_limits(hatchet: Hatchet) -> None:
    first = push(hatchet)
    other = hatchet("events", "push", "order:paid", "-o", "id").stdout.strip()
    assert hatchet("events", "list", "--key", "user:*", "-o", "id").stdout == f"{first['id']}\n"
    assert hatchet("events", "list", "--limit", "1", "-o", "id").stdout == f"{other}\n"


def test_list_since_accepts_rfc_3339_and_durations(hatchet: Hatchet) -> None:
    event = push(hatchet)
    recent = hatchet("events", "list", "--since", "1h", "-o", "id")
    future = hatchet("events", "list", "--since", "2999-01-01T00:00:00Z", "-o", "id")
    assert recent.stdout == f"{event['id']}\n"
    assert future.stdout == ""


def test_a_bad_since_exits_6(hatchet: Hatchet) -> None:
    result = hatchet("events", "list", "--since", "yesterday")
    assert result.exit_code == 6
    assert result.stderr == (
        "error: --since: expected an RFC 3339 time (2026-05-01T12:00:00Z) or a duration "
        "(1h, 30m), got 'yesterday'\n"
    )


def test_list_yaml_is_the_json_document(hatchet: Hatchet) -> None:
    import yaml

    push(hatchet)
    as_json = json.loads(hatchet("events", "list", "-o", "json").stdout)
    as_yaml = yaml.safe_load(hatchet("events", "list", "-o", "yaml").stdout)
    assert as_yaml == as_json


def test_an_empty_list_says_so_on_stderr(hatchet: Hatchet) -> None:
    result = hatchet("events", "list")
    assert result.exit_code == 0
    assert result.stdout == "ID  KEY  CREATED  RUNS  REPLAY OF\n"
    assert result.stderr == "no events\n"


def test_show_gives_the_event_and_its_runs(hatchet: Hatchet) -> None:
    event = push(hatchet)
    result = hatchet("events", "show", str(event["id"]), "-o", "json")
    assert result.exit_code == 0
    detail = json.loads(result.stdout)
    assert detail["event"] == event
    assert [run["id"] for run in detail["runs"]] == event["run_ids"]
    assert detail["runs"][0]["workflow_name"] == "post-user-sign-up"


def test_show_as_text(hatchet: Hatchet) -> None:
    event = push(hatchet)
    result = hatchet("events", "show", str(event["id"]))
    assert result.exit_code == 0
    lines = normalise(result.stdout).splitlines()
    assert lines[:12] == [
        "id:              <id1>",
        "key:             user:create",
        "created:         <time>",
        "replay of:       -",
        "replays:         -",
        "idempotency key: <id2>",  # the one the CLI made up for the push
        "data:",
        "  {",
        '    "user": {',
        '      "firstName": "Ada",',
        '      "email": "ada@example.com"',
        "    }",
    ]
    assert (
        lines[-1].split()
        == ["<id3>", "post-user-sign-up", "PENDING", "event", "<id1>", "<time>", "-"]
        or "post-user-sign-up" in lines[-1]
    )


def test_show_an_unknown_event_exits_3(hatchet: Hatchet) -> None:
    result = hatchet("events", "show", "nope")
    assert result.exit_code == 3
    assert result.stdout == ""
    assert result.stderr == "error: no event with id 'nope'\n"


def test_replay_by_id_links_the_new_event(hatchet: Hatchet) -> None:
    event = push(hatchet)
    result = hatchet("events", "replay", str(event["id"]), "-o", "json")
    assert result.exit_code == 0
    replayed = json.loads(result.stdout)
    assert replayed["dry_run"] is False
    [new] = replayed["events"]
    assert new["replayed_from_id"] == event["id"]
    assert new["data"] == event["data"]
    assert len(new["run_ids"]) == 1


def test_replay_with_data_replaces_the_payload(hatchet: Hatchet) -> None:
    event = push(hatchet)
    result = hatchet("events", "replay", str(event["id"]), "-d", '{"user": {}}', "-o", "json")
    assert json.loads(result.stdout)["events"][0]["data"] == {"user": {}}


def test_a_dry_run_replays_nothing(hatchet: Hatchet) -> None:
    event = push(hatchet)
    result = hatchet("events", "replay", "--key", "user:create", "--dry-run")
    assert result.exit_code == 0
    assert normalise(result.stdout).splitlines()[1].split()[0] == "<id1>"
    assert result.stderr == "would replay 1 event\n"
    assert hatchet("events", "list", "-o", "id").stdout == f"{event['id']}\n"


def test_replay_by_filter(hatchet: Hatchet) -> None:
    push(hatchet)
    result = hatchet("events", "replay", "--since", "1h")
    assert result.exit_code == 0
    assert result.stderr == "replayed 1 event\n"


def test_replay_needs_ids_or_a_filter_not_both(hatchet: Hatchet) -> None:
    neither = hatchet("events", "replay")
    both = hatchet("events", "replay", "x", "--key", "user:create")
    assert (neither.exit_code, neither.stderr) == (
        2,
        "error: name the events: give IDs, or --key/--since/--until\n",
    )
    assert (both.exit_code, both.stderr) == (
        2,
        "error: give IDs or --key/--since/--until, not both\n",
    )


def test_replay_an_unknown_event_exits_3(hatchet: Hatchet) -> None:
    result = hatchet("events", "replay", "nope")
    assert result.exit_code == 3
    assert result.stderr.startswith("error: ")


def test_a_push_the_daemon_took_but_never_answered_exits_7_naming_the_key() -> None:
    with serving() as stalled:
        stalled.reply = lambda seen: Answer(201, json={}, delay=10)
        result = CliRunner().invoke(
            app,
            ["--address", stalled.address, "events", "push", "user:create", "--retry-for", "0.5"],
        )
        key = stalled.seen[0].json()["idempotency_key"]

    assert result.exit_code == 7
    assert result.stdout == ""
    assert result.stderr == (
        f"error: the hatchet daemon at {stalled.address} did not answer within 0.5 s (timed out); "
        f"the event may have been stored: push it again with idempotency key {key} to store it "
        "once\n"
    )


def test_a_push_to_a_daemon_that_is_not_running_exits_5_at_once(closed_address: str) -> None:
    result = CliRunner().invoke(app, ["--address", closed_address, "events", "push", "a:b"])

    assert result.exit_code == 5
    assert result.stderr.startswith(f"error: cannot reach the hatchet daemon at {closed_address}")


def test_the_push_retry_bound_is_the_clients_default() -> None:
    from hatchet_cli._retry import DEFAULT_RETRY_FOR
    from hatchet_cli.cli.events import RETRY_FOR

    assert RETRY_FOR == DEFAULT_RETRY_FOR
