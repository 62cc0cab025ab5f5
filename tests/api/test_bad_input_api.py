"""Bad input through the API in process: a 4xx naming the field and the problem, nothing stored.

The rules themselves are tested in tests/unit/test_json_values.py; here, that every way in
applies them (push, bulk, replay, query parameters, `where`) with the path from the request's
own top, and that the refusal stores nothing.
"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

NUL = "contains a NUL character (\\u0000)"
LIMITED = "numbers are limited to ±1.7976931348623157e308"


def nested(levels: int) -> str:
    return '{"a":' * (levels - 1) + "{}" + "}" * (levels - 1)


def post_raw(client: TestClient, path: str, raw: str | bytes) -> Any:
    return client.post(path, content=raw, headers={"content-type": "application/json"})


def stored(client: TestClient) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = client.get("/api/v1/events", params={"limit": 1000}).json()[
        "items"
    ]
    return items


def error_of(response: Any) -> tuple[int, str, str]:
    error = response.json()["error"]
    return response.status_code, error["code"], error["message"]


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (r'{"key":"k:v","data":{"user":{"name":"Ada\u0000"}}}', f"data.user.name: {NUL}"),
        (r'{"key":"k:v","data":{"tags":["a","\u0000"]}}', f"data.tags[1]: {NUL}"),
        (r'{"key":"k:v","data":{"us\u0000er":1}}', f'data["us\\u0000er"]: the key {NUL}'),
        (r'{"key":"k:v\u0000","data":{}}', f"key: {NUL}"),
        (r'{"key":"k:v","idempotency_key":"\u0000"}', f"idempotency_key: {NUL}"),
        (r'{"key":"k:v","data":{"x":"\udc80"}}',
         "data.x: contains a lone surrogate (\\udc80), which is not Unicode text"),
        ('{"key":"k:v","data":{"x":NaN}}', "data.x: NaN is not a finite number"),
        ('{"key":"k:v","data":{"x":Infinity}}', "data.x: Infinity is not a finite number"),
        ('{"key":"k:v","data":{"x":1e400}}', f"data.x: 1e400 is not a finite number: {LIMITED}"),
        ('{"key":"k:v","data":{"x":-1e-400}}',
         "data.x: -1e-400 is too small for a 64-bit float: it would be stored as 0"),
        ('{"key":"k:v","data":{"x":' + "1" * 310 + "}}",
         f"data.x: a 310-digit integer is out of range: {LIMITED}"),
        ('{"key":"k:v","data":{"x":' + "1" * 5000 + "}}",
         f"data.x: a 5,000-digit integer is out of range: {LIMITED}"),
        ('{"key":"k:v","data":' + nested(65) + "}",
         "data.a.a.a.a.a.a.a…: nested deeper than 64 levels"),
        ('{"key":"k:v","data":{"a":' + "[" * 3000 + "]" * 3000 + "}}",
         "data.a[0][0][0][0][0][0]…: nested deeper than 64 levels"),
        ('{"key":"k:v","data":{"a":1,"b":2,"a":3}}', 'data: the key "a" appears more than once'),
        ('{"key":"k:v","key":"k:w"}', 'the request body: the key "key" appears more than once'),
        ("NaN", "the request body: NaN is not a finite number"),
    ],
)  # fmt: skip
def test_a_push_with_an_unstorable_value_is_a_422_naming_it(
    client: TestClient, raw: str, message: str
) -> None:
    response = post_raw(client, "/api/v1/events", raw)

    assert error_of(response) == (422, "invalid_value", message)
    assert stored(client) == []


def test_a_payload_at_the_limits_is_stored_as_sent(client: TestClient) -> None:
    raw = (
        '{"key":"k:v","data":{"deep":' + nested(63) + ',"max":1.7976931348623157e308,'
        '"int":-' + "9" * 308 + ',"tiny":5e-324,"z":1,"a":2}}'
    )
    response = post_raw(client, "/api/v1/events", raw)

    assert response.status_code == 201, response.text
    shown = client.get(f"/api/v1/events/{response.json()['id']}").json()["event"]["data"]
    assert list(shown) == ["deep", "max", "int", "tiny", "z", "a"]
    assert shown["int"] == -int("9" * 308)
    assert shown["tiny"] == 5e-324


def test_a_bulk_push_with_one_bad_event_stores_none_and_names_it(client: TestClient) -> None:
    raw = '{"events":[{"key":"k:v","data":{"ok":1}},{"key":"k:v","data":{"x":[1,NaN]}}]}'

    response = post_raw(client, "/api/v1/events/bulk", raw)

    assert error_of(response) == (
        422,
        "invalid_value",
        "events[1].data.x[1]: NaN is not a finite number",
    )
    assert stored(client) == []


def test_a_bulk_events_payload_nests_64_levels_like_a_single_push(client: TestClient) -> None:
    fine = '{"events":[{"key":"k:v","data":' + nested(64) + "}]}"
    deep = '{"events":[{"key":"k:v","data":' + nested(65) + "}]}"

    assert post_raw(client, "/api/v1/events/bulk", fine).status_code == 201
    assert error_of(post_raw(client, "/api/v1/events/bulk", deep)) == (
        422,
        "invalid_value",
        "events[0].data.a.a.a.a.a…: nested deeper than 64 levels",
    )
    assert len(stored(client)) == 1


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (',"data":{"x":-Infinity}}', "data.x: -Infinity is not a finite number"),
        (r',"data":{"\u0000":1}}', f'data["\\u0000"]: the key {NUL}'),
        (',"set":[{"path":"x","value":1e999}]}',
         f"set[0].value: 1e999 is not a finite number: {LIMITED}"),
        (r',"set":[{"path":"x","value":"\u0000"}]}', f"set[0].value: {NUL}"),
        (',"set":[{"path":"' + ".".join(["a"] * 65) + '","value":1}]}',
         "set[0]: the path a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a… has 65 keys; "
         "a path has at most 64"),
    ],
)  # fmt: skip
def test_a_replay_with_an_unstorable_edit_is_refused_and_replays_nothing(
    client: TestClient, body: str, message: str
) -> None:
    event = client.post("/api/v1/events", json={"key": "k:v", "data": {"x": 1}}).json()

    response = post_raw(
        client, "/api/v1/events/replay", '{"event_ids":["' + event["id"] + '"]' + body
    )

    assert error_of(response)[2] == message
    assert error_of(response)[0] == 422
    assert [e["id"] for e in stored(client)] == [event["id"]]


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("/api/v1/events?key=k%00v", f"query parameter key: {NUL}"),
        ("/api/v1/events?limit=5&where=a%3Db%00", f"query parameter where: {NUL}"),
        ("/api/v1/events?cursor=%00", f"query parameter cursor: {NUL}"),
        ("/api/v1/events?k%00ey=1", f"a query parameter's name {NUL}"),
        ("/api/v1/runs?status=RUNNING&workflow=w%00", f"query parameter workflow: {NUL}"),
        ("/api/v1/events/abcd%00", f"the URL path {NUL}"),
        ("/api/v1/runs/abcd%00/logs", f"the URL path {NUL}"),
        ("/api/v1/workflows/w%00/versions", f"the URL path {NUL}"),
    ],
)
def test_a_nul_anywhere_in_the_url_is_a_422_naming_the_parameter(
    client: TestClient, url: str, message: str
) -> None:
    assert error_of(client.get(url)) == (422, "invalid_value", message)


def test_a_nul_in_the_url_of_a_push_is_refused_before_the_body_is_read(client: TestClient) -> None:
    response = client.post("/api/v1/events?x=%00", json={"key": "k:v"})

    assert error_of(response) == (422, "invalid_value", f"query parameter x: {NUL}")
    assert response.headers["connection"] == "close"
    assert stored(client) == []


@pytest.mark.parametrize(
    ("where", "message"),
    [
        (["x=1e400"], f"where: x: 1e400 is not a finite number: {LIMITED}"),
        (["x=-" + "9" * 5000], f"where: x: a 5,000-digit integer is out of range: {LIMITED}"),
        (["x=1e-999"], "where: x: 1e-999 is too small for a 64-bit float: it would be stored as 0"),
        ([".".join(["a"] * 65) + "=1"],
         "where: the path a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a… has 65 keys; "
         "a path has at most 64"),
        ([".".join(["key"] * 300) + "=1"],
         "where: the path key.key.key.key.key.key.key.key.key.key… is 1,199 characters long; "
         "a path has at most 1,024"),
        ([f"k{i}=1" for i in range(21)], "where: 21 filters given; at most 20 are allowed"),
    ],
)  # fmt: skip
def test_a_where_beyond_the_limits_is_a_422_naming_it(
    client: TestClient, where: list[str], message: str
) -> None:
    assert error_of(client.get("/api/v1/events", params={"where": where})) == (
        422,
        "bad_where",
        message,
    )


def test_a_where_at_the_limits_is_a_filter_like_any_other(client: TestClient) -> None:
    data: dict[str, Any] = {"n": 18446744073709551617}
    node = data
    for _ in range(63):
        node = node.setdefault("a", {})
    node["a"] = 1
    event = client.post("/api/v1/events", json={"key": "k:v", "data": data}).json()
    where = [".".join(["a"] * 64) + "=1", "n=18446744073709551617"]
    where += ["n=18446744073709551617"] * 18

    response = client.get("/api/v1/events", params={"where": where})

    assert response.status_code == 200, response.text
    assert [e["id"] for e in response.json()["items"]] == [event["id"]]


@pytest.mark.parametrize(
    ("path", "limit"),
    [
        ("/api/v1/events", "an event's payload is limited to 1,048,576 bytes (1 MiB)"),
        ("/api/v1/events/replay", "a replay's data is limited to 1,048,576 bytes (1 MiB)"),
        (
            "/api/v1/events/bulk",
            "a bulk push is limited to 16,777,216 bytes (16 MiB): push fewer events at a time",
        ),
    ],
)
def test_each_route_states_its_own_limit_when_a_body_is_too_large(
    client: TestClient, path: str, limit: str
) -> None:
    size = 17 * 1024 * 1024
    response = post_raw(client, path, b" " * size)

    assert error_of(response) == (
        413,
        "payload_too_large",
        f"the request body is {size:,} bytes; {limit}",
    )
    assert response.headers["connection"] == "close"
    assert stored(client) == []


@pytest.mark.parametrize("time", ["2026-01-01", "2026-01-01T00:00:00"])
def test_a_time_without_an_offset_is_a_422_naming_the_parameter(
    client: TestClient, time: str
) -> None:
    """The store keeps UTC: such a time used to reach it and be a 500."""
    message = "expected an RFC 3339 time with an offset, e.g. 2026-05-01T12:00:00Z"
    for path in ("/api/v1/events", "/api/v1/runs"):
        status, code, text = error_of(client.get(path, params={"since": time}))
        assert (status, code) == (422, "invalid_request")
        assert text.startswith(f"since: {message}")
    status, code, text = error_of(
        client.post("/api/v1/events/replay", json={"key": "a:*", "until": time})
    )
    assert (status, code) == (422, "invalid_request")
    assert text.startswith(f"until: {message}")
    # A time beyond what the daemon can hold in UTC bounds nothing, rather than failing.
    for edge in ("0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-23:59"):
        assert client.get("/api/v1/events", params={"since": edge}).status_code == 200
    assert client.get("/api/v1/events", params={"since": "0001-01-01T00:00:00Z"}).status_code == 200


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"key": "order paid"}, "key: must not contain spaces (nor other whitespace)"),
        ({"key": "order:paid\t"}, "key: must not contain spaces (nor other whitespace)"),
        ({"key": ""}, "key: must not be empty"),
        ({"key": "k" * 256}, "key: must be at most 255 characters"),
        ({"data": {}}, "key: is required"),
        ({"key": "k:v", "colour": "red"}, "colour: is not a field of this request"),
    ],
)
def test_a_refused_push_says_why_in_words_not_pydantics(
    client: TestClient, body: dict[str, Any], message: str
) -> None:
    response = client.post("/api/v1/events", json=body)
    assert error_of(response) == (422, "invalid_request", message)
    assert stored(client) == []
