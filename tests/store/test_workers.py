"""Workers: saved on registration, kept alive by heartbeats, moved between states with guards."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from hatchetd.contracts.enums import WorkerStatus
from hatchetd.contracts.workers import Worker
from hatchetd.store import Store

T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
W = WorkerStatus
MakeWorker = Callable[..., Worker]


def test_a_worker_is_saved_and_replaced(store: Store, new_worker: MakeWorker) -> None:
    worker = new_worker()
    store.save_worker(worker)
    replaced = worker.model_copy(update={"actions": ["echo:echo"], "slots": 16})

    store.save_worker(replaced)

    assert store.get_worker(worker.id) == replaced
    assert store.get_worker("nope") is None


def test_workers_are_listed_newest_registration_first(store: Store, new_worker: MakeWorker) -> None:
    old = new_worker(registered_at=T0, status=W.LOST)
    mid = new_worker(registered_at=T0 + timedelta(seconds=1), status=W.STOPPED)
    new = new_worker(registered_at=T0 + timedelta(seconds=2))
    for worker in (mid, new, old):
        store.save_worker(worker)

    assert store.list_workers() == [new, mid, old]
    assert store.list_workers(statuses=[W.ACTIVE]) == [new]
    assert store.list_workers(statuses=[W.LOST, W.STOPPED]) == [mid, old]


def test_a_heartbeat_is_recorded_only_for_a_connected_worker(
    store: Store, new_worker: MakeWorker
) -> None:
    active, draining = new_worker(), new_worker(status=W.DRAINING)
    lost, stopped = new_worker(status=W.LOST), new_worker(status=W.STOPPED)
    for worker in (active, draining, lost, stopped):
        store.save_worker(worker)
    later = T0 + timedelta(seconds=5)

    assert store.record_heartbeat(active.id, later) is True
    assert store.record_heartbeat(draining.id, later) is True
    assert store.record_heartbeat(lost.id, later) is False
    assert store.record_heartbeat(stopped.id, later) is False
    assert store.record_heartbeat("nope", later) is False
    assert store.get_worker(active.id) == active.model_copy(update={"last_heartbeat_at": later})
    assert store.get_worker(draining.id) == draining.model_copy(update={"last_heartbeat_at": later})
    assert store.get_worker(lost.id) == lost
    assert store.get_worker(stopped.id) == stopped


def test_a_worker_status_change_is_guarded(store: Store, new_worker: MakeWorker) -> None:
    worker = new_worker()
    store.save_worker(worker)

    refused = store.set_worker_status(worker.id, W.STOPPED, from_statuses=[W.LOST])
    lost = store.set_worker_status(worker.id, W.LOST, from_statuses=[W.ACTIVE])
    stopped = store.set_worker_status(worker.id, W.STOPPED)

    assert refused is None
    assert lost == worker.model_copy(update={"status": W.LOST})
    assert stopped is not None
    assert stopped.status is W.STOPPED
    assert store.set_worker_status("nope", W.LOST) is None
