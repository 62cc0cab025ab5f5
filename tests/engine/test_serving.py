"""Who serves what: the actions no connected worker registered, why a waiting step waits, and the
keys a push that triggered nothing may have meant."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from hatchetd.contracts.enums import WaitReason, WorkerStatus
from hatchetd.contracts.workers import Worker
from hatchetd.engine.matching import similar_keys
from hatchetd.engine.serving import Serving

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def worker(
    worker_id: str, *actions: str, slots: int = 2, status: WorkerStatus = WorkerStatus.ACTIVE
) -> Worker:
    return Worker(
        id=worker_id,
        name=worker_id,
        actions=list(actions),
        slots=slots,
        status=status,
        registered_at=NOW,
        last_heartbeat_at=NOW,
    )


def test_unserved_actions_are_those_no_worker_registered_sorted_once() -> None:
    serving = Serving((worker("w1", "sandbox:create"),), {})
    assert serving.unserved(["postmark:send", "sandbox:create", "a:b", "postmark:send"]) == [
        "a:b",
        "postmark:send",
    ]
    assert Serving((), {}).unserved(["sandbox:create"]) == ["sandbox:create"]


def test_a_step_with_no_worker_for_its_action_waits_for_one() -> None:
    serving = Serving((worker("w1", "other:thing"),), {})
    assert serving.why_waiting("sandbox:create") == (
        WaitReason.NO_WORKER,
        "waiting for a worker with action sandbox:create — none connected serves it",
    )


@pytest.mark.parametrize(
    ("held", "expected"),
    [
        ({"w1": 2, "w2": 1}, None),  # w2 has a free slot: the step is about to be assigned
        (
            {"w1": 2, "w2": 3},
            "waiting for a worker with action sandbox:create — the 2 workers serving it have "
            "all 5 slots busy",
        ),
    ],
)
def test_busy_workers_keep_a_step_waiting_until_a_slot_frees(
    held: dict[str, int], expected: str | None
) -> None:
    serving = Serving(
        (worker("w1", "sandbox:create", slots=2), worker("w2", "sandbox:create", slots=3)), held
    )
    why = serving.why_waiting("sandbox:create")
    assert (why and why[1]) == expected
    if why is not None:
        assert why[0] is WaitReason.WORKERS_BUSY


def test_a_draining_worker_serves_no_new_step() -> None:
    serving = Serving(
        (worker("w1", "sandbox:create", status=WorkerStatus.DRAINING),),
        {},
    )
    assert serving.unserved(["sandbox:create"]) == []  # registered, so not unserved
    assert serving.why_waiting("sandbox:create") == (
        WaitReason.WORKERS_DRAINING,
        "waiting for a worker with action sandbox:create — the worker serving it is shutting down",
    )


def test_similar_keys_are_the_close_ones_closest_first() -> None:
    listened = ["order:paid", "order:refunded", "user:create", "order:*"]
    assert similar_keys("order:payed", listened)[0] == "order:paid"
    assert similar_keys("user:crate", listened) == ["user:create"]
    assert similar_keys("invoice:void", listened) == []
