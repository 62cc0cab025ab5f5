"""Replicas: each daemon's lease row, renewed with its count of committed batches."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from hatchetd.contracts.replicas import Replica
from hatchetd.store import Store

T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def replica(replica_id: str, **fields: object) -> Replica:
    return Replica.model_validate(
        {"id": replica_id, "host": "box", "pid": 42, "started_at": T0, "renewed_at": T0, **fields}
    )


def test_a_replica_is_registered_renewed_and_stopped(store: Store) -> None:
    store.register_replica(replica("r1"))

    assert store.renew_replica("r1", at(5), commit_seq=3) is True
    assert store.get_replica("r1") == replica("r1", renewed_at=at(5), commit_seq=3)

    store.stop_replica("r1", at(9))
    assert store.get_replica("r1") == replica(
        "r1", renewed_at=at(9), stopped_at=at(9), commit_seq=3
    )


def test_renewing_an_unknown_replica_changes_nothing(store: Store) -> None:
    assert store.renew_replica("nobody", at(1), commit_seq=1) is False
    assert store.get_replica("nobody") is None
    assert store.list_replicas() == []


def test_replicas_are_listed_most_recently_renewed_first(store: Store) -> None:
    for name, seconds in (("old", 1), ("new", 3), ("mid", 2)):
        store.register_replica(replica(name, renewed_at=T0 + timedelta(seconds=seconds)))

    assert [r.id for r in store.list_replicas()] == ["new", "mid", "old"]


def test_a_renewal_inside_a_rolled_back_batch_is_undone(store: Store) -> None:
    store.register_replica(replica("r1"))

    def renew_then_fail() -> None:
        with store.batch():
            store.renew_replica("r1", at(5), commit_seq=7)
            raise RuntimeError("the batch failed")

    with pytest.raises(RuntimeError):
        renew_then_fail()

    assert store.get_replica("r1") == replica("r1")
