"""`Client.events` with payload paths, against the in-process daemon the CLI tests use:
`list(where=...)`, `list_all(...)` and `replay(set=...)`."""

from __future__ import annotations

import pytest

from hatchet_cli import Client
from tests.cli.conftest import Hatchet


@pytest.fixture
def client(hatchet: Hatchet) -> Client:
    return Client(hatchet.address)


def test_where_takes_a_mapping_or_pairs_of_typed_values(client: Client) -> None:
    with client:
        numbers = [client.events.push("n:n", {"n": n, "s": str(n)}) for n in range(3)]

        by_mapping = client.events.list(where={"n": 1})
        by_string = client.events.list(where={"s": "1"})
        by_pairs = client.events.list(where=[("n", 1), ("n", 2)])  # both: none can match

    assert [e.id for e in by_mapping.items] == [numbers[1].id]
    assert [e.id for e in by_string.items] == [numbers[1].id]
    assert by_pairs.items == []


def test_list_all_walks_every_page(client: Client) -> None:
    with client:
        pushed = [client.events.push("n:n", {"even": n % 2 == 0}) for n in range(5)]

        evens = list(client.events.list_all(where={"even": True}, page_size=1))

    assert [e.id for e in evens] == [pushed[4].id, pushed[2].id, pushed[0].id]


def test_replay_set_edits_each_payload(client: Client) -> None:
    with client:
        event = client.events.push("n:n", {"user": {"name": "Ada"}})

        result = client.events.replay([event.id], set={"user.vip": True, "source": "replay"})

    assert [e.data for e in result.events] == [
        {"user": {"name": "Ada", "vip": True}, "source": "replay"}
    ]


def test_a_bad_path_is_refused_before_anything_is_sent(client: Client) -> None:
    with client, pytest.raises(ValueError, match=r"bad path 'user\.\.name'"):
        client.events.replay(["anything"], set={"user..name": "Bo"})
