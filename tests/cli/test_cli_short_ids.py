"""Every id argument takes a unique prefix, the way the tables' ids are copied."""

from __future__ import annotations

import json

from tests.cli.conftest import Hatchet


def test_events_and_runs_are_named_by_a_prefix(hatchet: Hatchet) -> None:
    pushed = hatchet("events", "push", "user:create", "-d", "{}", "-o", "json")
    event = json.loads(pushed.stdout)
    run_id = event["run_ids"][0]

    shown = hatchet("events", "show", event["id"][:6], "-o", "json")
    assert shown.exit_code == 0, shown.stderr
    assert json.loads(shown.stdout)["event"]["id"] == event["id"]
    trace = hatchet("runs", "show", run_id[:6], "-o", "json")
    assert json.loads(trace.stdout)["run"]["id"] == run_id
    assert hatchet("runs", "list", "--event", event["id"][:6], "-o", "id").stdout == f"{run_id}\n"
    replayed = hatchet("events", "replay", event["id"][:6], "-o", "json")
    assert replayed.exit_code == 0, replayed.stderr
    assert json.loads(replayed.stdout)["events"][0]["replayed_from_id"] == event["id"]


def test_a_prefix_too_short_or_naming_nothing_is_one_line_and_its_exit_code(
    hatchet: Hatchet,
) -> None:
    hatchet("events", "push", "user:create", "-d", "{}")
    short = hatchet("runs", "show", "ab")
    assert short.exit_code == 6
    assert short.stderr == ("error: 'ab' is too short to name a run: give at least 4 characters\n")
    short_event = hatchet("events", "show", "ab")
    assert short_event.stderr == (
        "error: 'ab' is too short to name an event: give at least 4 characters\n"
    )
    missing = hatchet("events", "show", "ffffffff")
    assert missing.exit_code == 3
    assert missing.stderr == "error: no event with an id starting 'ffffffff'\n"
