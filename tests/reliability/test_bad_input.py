"""Bad input against a real hatchetd, on SQLite and on PostgreSQL (issue 10, item 6).

Every input below is sent as raw bytes, the way a buggy or hostile client would. Each must be
refused with a 4xx whose message names the field and the problem; nothing may be stored; the
daemon must answer normally afterwards (a `where` filter too: on SQLite a stored `NaN` used to
break every later filter). And what is accepted must come back exactly as it was pushed: the
same keys in the same order, the same values, through the API, `hatchet events show` and a
replay. docs/guarantees.md reports the counts.
"""

from __future__ import annotations

import base64
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
from acceptance_support import Daemon, wait_for, wait_until_loaded
from reliability_support import write_workflow
from websockets.sync.client import connect

HATCHET = str(Path(sys.executable).with_name("hatchet"))
LARGEST = "numbers are limited to ±1.7976931348623157e308"
NUL = "contains a NUL character (\\u0000)"


def deep(levels: int) -> str:
    """`levels` nested objects, `{"a":{"a":…{}…}}`, as JSON text."""
    return '{"a":' * (levels - 1) + "{}" + "}" * (levels - 1)


PUSHES: list[tuple[str | bytes, int, str, str]] = [
    # (raw body of POST /api/v1/events, status, code, message)
    (r'{"key":"k:v","data":{"user":{"name":"Ada\u0000"}}}', 422, "invalid_value",
     f"data.user.name: {NUL}"),
    (r'{"key":"k:v","data":{"us\u0000er":1}}', 422, "invalid_value",
     f'data["us\\u0000er"]: the key {NUL}'),
    (r'{"key":"k:v\u0000","data":{}}', 422, "invalid_value", f"key: {NUL}"),
    (r'{"key":"k:v","data":{},"idempotency_key":"i\u0000"}', 422, "invalid_value",
     f"idempotency_key: {NUL}"),
    ('{"key":"k:v","data":{"x":NaN}}', 422, "invalid_value", "data.x: NaN is not a finite number"),
    ('{"key":"k:v","data":{"x":[1,-Infinity]}}', 422, "invalid_value",
     "data.x[1]: -Infinity is not a finite number"),
    ('{"key":"k:v","data":{"x":1e400}}', 422, "invalid_value",
     f"data.x: 1e400 is not a finite number: {LARGEST}"),
    ('{"key":"k:v","data":{"x":1e-400}}', 422, "invalid_value",
     "data.x: 1e-400 is too small for a 64-bit float: it would be stored as 0"),
    ('{"key":"k:v","data":{"x":' + "9" * 5000 + "}}", 422, "invalid_value",
     f"data.x: a 5,000-digit integer is out of range: {LARGEST}"),
    ('{"key":"k:v","data":{"x":-' + "9" * 309 + "}}", 422, "invalid_value",
     f"data.x: a 309-digit integer is out of range: {LARGEST}"),
    ('{"key":"k:v","data":' + deep(65) + "}", 422, "invalid_value",
     "data.a.a.a.a.a.a.a…: nested deeper than 64 levels"),
    ('{"key":"k:v","data":{"a":' + "[" * 5000 + "]" * 5000 + "}}", 422, "invalid_value",
     "data.a[0][0][0][0][0][0]…: nested deeper than 64 levels"),
    (r'{"key":"k:v","data":{"x":"\ud800"}}', 422, "invalid_value",
     "data.x: contains a lone surrogate (\\ud800), which is not Unicode text"),
    ('{"key":"k:v","data":{"a":1,"a":2}}', 422, "invalid_value",
     'data: the key "a" appears more than once'),
    ('{"key":"k:v","data":{"a":1}', 400, "invalid_json",
     "the request body is not valid JSON: Expecting ',' delimiter at line 1 column 28"),
    (b'{"key":"k:v","data":{"a":"\xff"}}', 400, "invalid_json",
     "the request body is not UTF-8 JSON"),
]  # fmt: skip

BULK = (
    '{"events":[{"key":"k:v","data":{"ok":1}},{"key":"k:v","data":{"x":NaN}}]}',
    422,
    "invalid_value",
    "events[1].data.x: NaN is not a finite number",
)


def replays(event_id: str) -> list[tuple[str, int, str, str]]:
    """Bad replays of the event `event_id`: (raw body, status, code, message)."""
    ids = f'"event_ids":["{event_id}"]'
    return [
        ("{" + ids + ',"data":{"x":Infinity}}', 422, "invalid_value",
         "data.x: Infinity is not a finite number"),
        ("{" + ids + r',"data":{"x":"\u0000"}}', 422, "invalid_value", f"data.x: {NUL}"),
        ("{" + ids + ',"set":[{"path":"x","value":1e999}]}', 422, "invalid_value",
         f"set[0].value: 1e999 is not a finite number: {LARGEST}"),
        ("{" + ids + r',"set":[{"path":"x","value":"a\u0000"}]}', 422, "invalid_value",
         f"set[0].value: {NUL}"),
        (r'{"event_ids":["abcd\u0000"]}', 422, "invalid_value", f"event_ids[0]: {NUL}"),
        (r'{"key":"k:\u0000"}', 422, "invalid_value", f"key: {NUL}"),
    ]  # fmt: skip


FORGED = base64.urlsafe_b64encode(b"2026-01-01T00:00:00+00:00|a\x00b").decode()
"""A cursor no listing gave out, whose id PostgreSQL could not take."""

QUERIES: list[tuple[str, int, str, str]] = [
    # (path and query of a GET, status, code, message)
    ("/api/v1/events?key=k%00v", 422, "invalid_value", f"query parameter key: {NUL}"),
    ("/api/v1/events?where=user.name%3DAda%00", 422, "invalid_value",
     f"query parameter where: {NUL}"),
    ("/api/v1/events?cursor=%00", 422, "invalid_value", f"query parameter cursor: {NUL}"),
    ("/api/v1/events?since=2026-01-01T00:00:00Z%00", 422, "invalid_value",
     f"query parameter since: {NUL}"),
    ("/api/v1/runs?workflow=w%00", 422, "invalid_value", f"query parameter workflow: {NUL}"),
    ("/api/v1/events/abcd%00ef", 422, "invalid_value", f"the URL path {NUL}"),
    ("/api/v1/runs/abcd%00ef", 422, "invalid_value", f"the URL path {NUL}"),
    ("/api/v1/workflows/w%00", 422, "invalid_value", f"the URL path {NUL}"),
    ("/api/v1/events?since=2026-01-01", 422, "invalid_request",
     "since: expected an RFC 3339 time with an offset, e.g. 2026-05-01T12:00:00Z, "
     "not '2026-01-01'"),
    ("/api/v1/runs?until=2026-01-01T00:00:00", 422, "invalid_request",
     "until: expected an RFC 3339 time with an offset, e.g. 2026-05-01T12:00:00Z, "
     "not '2026-01-01T00:00:00'"),
    (f"/api/v1/events?cursor={FORGED}", 400, "bad_cursor",
     f"invalid cursor '{FORGED}': pass the next_cursor of the previous page unchanged"),
    ("/api/v1/events?where=x=1e400", 422, "bad_where",
     f"where: x: 1e400 is not a finite number: {LARGEST}"),
    ("/api/v1/events?where=x=" + "9" * 5000, 422, "bad_where",
     f"where: x: a 5,000-digit integer is out of range: {LARGEST}"),
    ("/api/v1/events?where=" + ".".join(["a"] * 65) + "=1", 422, "bad_where",
     "where: the path a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a… has 65 keys; a path has at most 64"),
    ("/api/v1/events?where=" + ".".join(["k" * 20] * 60) + "=1", 422, "bad_where",
     "where: the path kkkkkkkkkkkkkkkkkkkk… is 1,259 characters long; "
     "a path has at most 1,024"),
    ("/api/v1/events?" + "&".join(f"where=k{i}=1" for i in range(21)), 422, "bad_where",
     "where: 21 filters given; at most 20 are allowed"),
]  # fmt: skip


def stored_count(daemon: Daemon) -> int:
    return len(daemon.get("/api/v1/events", limit=1000)["items"])


def send(client: httpx.Client, path: str, raw: str | bytes) -> httpx.Response:
    """POST raw bytes as a JSON body."""
    content = raw.encode() if isinstance(raw, str) else raw
    return client.post(path, content=content, headers={"content-type": "application/json"})


def refused(response: httpx.Response, status: int, code: str, message: str) -> list[str]:
    """What is wrong with a refusal, as lines; empty when it is exactly the one expected."""
    try:
        error = response.json()["error"]
        got = (response.status_code, error["code"], error["message"])
    except (ValueError, KeyError, TypeError):
        got = (response.status_code, "", response.text[:200])
    return (
        [] if got == (status, code, message) else [f"expected {(status, code, message)}, got {got}"]
    )


def test_bad_bodies_are_refused_naming_the_problem_and_nothing_is_stored(daemon: Daemon) -> None:
    good = daemon.post("/api/v1/events", {"key": "k:v", "data": {"x": 1}}).json()
    cases = [("/api/v1/events", *case) for case in PUSHES]
    cases.append(("/api/v1/events/bulk", *BULK))
    cases += [("/api/v1/events/replay", *case) for case in replays(good["id"])]
    problems: list[str] = []
    with daemon.http as client:
        for path, raw, status, code, message in cases:
            answer = send(client, path, raw)
            problems += [
                f"{path} {raw[:60]!r}: {p}" for p in refused(answer, status, code, message)
            ]
        assert stored_count(daemon) == 1, "a refused body stored something"

        # The daemon answers as before, filters included (a stored NaN broke them on SQLite).
        listed = client.get("/api/v1/events", params={"where": "x=1"}).json()["items"]
        assert [event["id"] for event in listed] == [good["id"]]
        assert (
            client.post("/api/v1/events", json={"key": "k:v", "data": {"x": 2}}).status_code == 201
        )
    assert not problems, f"{len(problems)} of {len(cases)} bad bodies:\n" + "\n".join(problems)
    print(f"\n{len(cases)} bad bodies refused with a 4xx naming the problem; 0 stored")


def test_bad_query_parameters_and_filters_are_refused_naming_them(daemon: Daemon) -> None:
    daemon.post("/api/v1/events", {"key": "k:v", "data": {"x": 1}})
    problems: list[str] = []
    with daemon.http as client:
        for path, status, code, message in QUERIES:
            answer = client.get(path)
            problems += [f"{path[:70]}: {p}" for p in refused(answer, status, code, message)]
        # A long path that is within the limits is a filter like any other.
        long_path = client.get(
            "/api/v1/events", params={"where": "a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p=1"}
        )
        assert (long_path.status_code, long_path.json()["items"]) == (200, [])
        assert client.get("/livez").status_code == 200
    assert stored_count(daemon) == 1
    assert not problems, f"{len(problems)} of {len(QUERIES)} bad URLs:\n" + "\n".join(problems)


HUGE = "-" + "7" * 300  # an integer of 300 digits: beyond 64 bits, within a float's range
UNUSUAL = (
    '{"zeta":1,"alpha":{"z":[3,2,1],"a":null},"":"empty key","é":"ü ✓ 😀 \\ud83d\\ude00",'
    '"big":18446744073709551617,"huge":' + HUGE + ',"tiny":5e-324,"pi":3.141592653589793,'
    '"max":1.7976931348623157e308,"ten":1e1,"zero":-0.0,"esc":"line\\nbreak \\"q\\" \\\\ /",'
    '"flag":false,"nested":{"b":{"d":1,"c":2},"a":[]},"deep":' + deep(63) + "}"
)


def ordered(text: str) -> Any:
    """JSON text as nested lists of (key, value) pairs: equal only if the order is too."""
    return json.loads(text, object_pairs_hook=list)


def data_text(response_text: str, *keys: str | int) -> Any:
    """The pairs of the payload found under `keys` in a response's raw JSON text."""
    node: Any = ordered(response_text)
    for key in keys:
        node = node[key] if isinstance(key, int) else dict(node)[key]
    return node


def test_a_payload_comes_back_exactly_as_pushed(daemon: Daemon) -> None:
    expected = ordered(UNUSUAL)
    with daemon.http as client:
        pushed = send(client, "/api/v1/events", '{"key":"odd:one","data":' + UNUSUAL + "}")
        assert pushed.status_code == 201, pushed.text
        event_id = pushed.json()["id"]
        shown = client.get(f"/api/v1/events/{event_id}")
        listed = client.get("/api/v1/events", params={"key": "odd:one"})
        replayed = client.post("/api/v1/events/replay", json={"event_ids": [event_id]})
        replay_id = replayed.json()["events"][0]["id"]
        replay_shown = client.get(f"/api/v1/events/{replay_id}")
        found = client.get(
            "/api/v1/events", params={"where": ["big=18446744073709551617", "zeta=1"]}
        )

    assert data_text(pushed.text, "data") == expected
    assert data_text(shown.text, "event", "data") == expected
    assert data_text(listed.text, "items", 0, "data") == expected
    assert data_text(replayed.text, "events", 0, "data") == expected
    assert data_text(replay_shown.text, "event", "data") == expected
    assert [e["id"] for e in found.json()["items"]] == [replay_id, event_id]
    cli = subprocess.run(
        [HATCHET, "--address", daemon.address, "events", "show", event_id, "-o", "json"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert data_text(cli.stdout, "event", "data") == expected


WORKFLOW = """\
name: raw-worker
on: [raw:go]
jobs:
  only:
    steps:
      - id: one
        action: raw:step
"""


def test_a_worker_sending_unstorable_results_is_told_and_can_still_finish(
    daemon: Daemon,
) -> None:
    write_workflow(daemon.folder, "raw-worker", WORKFLOW)
    wait_until_loaded(daemon, "raw-worker")
    url = daemon.address.replace("http://", "ws://") + "/api/v1/workers/connect"
    with connect(url) as ws:
        register = {"type": "register", "name": "raw", "actions": ["raw:step"]}
        ws.send(json.dumps(register))
        assert json.loads(ws.recv(timeout=10))["type"] == "registered"
        run_id = daemon.post("/api/v1/events", {"key": "raw:go", "data": {}}).json()["run_ids"][0]
        assign = json.loads(ws.recv(timeout=10))
        ids = f'"step_run_id":"{assign["step_run_id"]}","attempt":{assign["attempt"]}'
        ws.send('{"type":"started",' + ids + "}")
        messages = {
            '{"type":"log",' + ids + r',"line":"half\u0000line"}': f"line: {NUL}",
            '{"type":"completed",' + ids + ',"output":{"x":NaN}}':
                "output.x: NaN is not a finite number",
            '{"type":"completed",' + ids + ',"output":' + deep(65) + "}":
                "output.a.a.a.a.a.a.a…: nested deeper than 64 levels",
            '{"type":"failed",' + ids + r',"error":"Boom: \u0000"}': f"error: {NUL}",
            r'{"type":"register","name":"n\u0000","actions":["raw:step"]}': f"name: {NUL}",
        }  # fmt: skip
        answers = {}
        for raw, _ in messages.items():
            ws.send(raw)
            answers[raw] = json.loads(ws.recv(timeout=10))
        ws.send('{"type":"completed",' + ids + ',"output":{"z":1,"a":[1.5,"ok"]}}')
        ack = json.loads(ws.recv(timeout=10))

    for raw, message in messages.items():
        assert answers[raw]["type"] == "error", raw
        assert answers[raw]["code"] == "invalid_message", raw
        assert answers[raw]["message"].endswith(message), (raw, answers[raw])
    assert ack["type"] == "result_ack"
    assert ack["accepted"] is True
    trace = wait_for(
        lambda: (t := daemon.get(f"/api/v1/runs/{run_id}"))["run"]["status"] == "SUCCEEDED" and t,
        what="the run to succeed",
    )
    (step,) = [s for job in trace["jobs"] for s in job["step_runs"]]
    assert step["output"] == {"z": 1, "a": [1.5, "ok"]}
    assert daemon.get(f"/api/v1/runs/{run_id}/logs") == []
