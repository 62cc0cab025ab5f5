"""A daemon notifies other daemons only while some serve the store (issue 11: no loss for one)."""

from __future__ import annotations

from datetime import timedelta

from hatchetd.contracts.replicas import Replica
from hatchetd.runtime.lease import Lease
from hatchetd.store import Store
from tests.store.conftest import T0


def test_a_daemon_alone_on_its_store_knows_it_and_notices_another(store: Store) -> None:
    lease = Lease(store, T0)
    with store.batch():
        lease.register()
    assert lease.others_alive(T0) is False

    store.register_replica(Replica(id="other", host="h", pid=1, started_at=T0, renewed_at=T0))
    lease._others_checked = float("-inf")  # the next look, a second later
    assert lease.others_alive(T0 + timedelta(seconds=1)) is True
    # Not renewed for longer than the replica lease: taken for dead.
    lease._others_checked = float("-inf")
    assert lease.others_alive(T0 + timedelta(seconds=30)) is False
    store.stop_replica("other", T0)
    lease._others_checked = float("-inf")
    assert lease.others_alive(T0) is False
