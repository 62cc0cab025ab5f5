"""What an action learns from `ctx` (design §9): its step, its workflow, its event, and whether
it has been cancelled, checked the way users write it: `if ctx.cancelled:`.

The step runner is driven on a real event loop with the protocol's own messages, as in
test_sdk_runner.py; no daemon and no socket are involved.
"""

from __future__ import annotations

import asyncio
import threading
import time
from datetime import UTC, datetime
from typing import Any, assert_type

import pytest

from hatchet_cli.sdk import CancelFlag, Context, TriggerEvent, Worker
from hatchet_cli.sdk._runner import StepRunner
from hatchetd.contracts.enums import CancelReason
from hatchetd.contracts.worker_protocol import (
    DAEMON_MESSAGE,
    Assign,
    Cancel,
    Completed,
    Failed,
    Started,
    WorkerMessage,
)

DEADLINE = 5.0
SIGN_UP = TriggerEvent(id="ev-1", key="user:create", created_at=datetime(2026, 5, 1, tzinfo=UTC))


def assign(**fields: Any) -> Assign:
    """An assignment as a current daemon sends it; `fields` override."""
    defaults: dict[str, Any] = {
        "step_run_id": "sr-1",
        "attempt": 1,
        "workflow_run_id": "wr-1",
        "action": "ctx:probe",
        "input": {},
        "step_id": "probe",
        "workflow_name": "sign-up",
        "event": SIGN_UP,
    }
    return Assign(**(defaults | fields))


def run_steps(
    worker: Worker, *assigns: Assign, cancel_when: threading.Event | None = None
) -> list[WorkerMessage]:
    """Assign each step run and wait until none runs; with `cancel_when`, cancel the first one
    (reason TIMED_OUT) as soon as that event is set. The messages the worker sent, in order."""

    async def main() -> list[WorkerMessage]:
        sent: list[WorkerMessage] = []
        runner: StepRunner = worker._step_runner(sent.append)
        try:
            for message in assigns:
                runner.assign(message)
            async with asyncio.timeout(DEADLINE):
                if cancel_when is not None:
                    while not cancel_when.is_set():
                        await asyncio.sleep(0.001)
                    first = assigns[0]
                    runner.cancel(
                        Cancel(
                            step_run_id=first.step_run_id,
                            attempt=first.attempt,
                            reason=CancelReason.TIMED_OUT,
                        )
                    )
                while runner.running:
                    await asyncio.sleep(0.001)
            return sent
        finally:
            await runner.aclose()

    return asyncio.run(main())


# -- the flag ----------------------------------------------------------------------------------


def test_the_cancel_flag_is_false_until_set_then_true() -> None:
    flag = CancelFlag()

    assert not flag
    assert bool(flag) is False
    assert flag.is_set() is False
    assert flag.wait(0) is False

    flag.set()

    assert flag
    assert bool(flag) is True
    assert flag.is_set() is True
    assert flag.wait(0) is True


def test_the_cancel_flag_is_a_threading_event_and_wakes_a_waiting_thread() -> None:
    flag = CancelFlag()
    woke: list[bool] = []
    waiter = threading.Thread(target=lambda: woke.append(flag.wait(DEADLINE)))
    waiter.start()

    flag.set()
    waiter.join(DEADLINE)

    assert isinstance(flag, threading.Event)
    assert woke == [True]
    assert repr(flag) == "CancelFlag(set)"
    assert repr(CancelFlag()) == "CancelFlag(not set)"


# -- `if ctx.cancelled:` in a user's action ------------------------------------------------------


def test_sync_actions_that_check_if_ctx_cancelled_run_to_the_end_in_parallel() -> None:
    """The trap of issue 12: with a `threading.Event` (always truthy) every one of these
    steps returned at once."""
    worker = Worker("t", slots=3)
    spans: list[tuple[float, float]] = []

    @worker.action("ctx:probe")
    def sleep(input: dict[str, Any], ctx: Context) -> dict[str, Any]:
        started = time.monotonic()
        while time.monotonic() - started < input["seconds"]:
            if ctx.cancelled:
                return {"cancelled": True}
            time.sleep(0.01)
        spans.append((started, time.monotonic()))
        return {"cancelled": False}

    sent = run_steps(
        worker, *[assign(step_run_id=f"sr-{i}", input={"seconds": 0.2}) for i in range(3)]
    )

    completed = [m for m in sent if isinstance(m, Completed)]
    assert sorted(m.step_run_id for m in completed) == ["sr-0", "sr-1", "sr-2"]
    assert all(m.output == {"cancelled": False} for m in completed)
    assert all(end - start >= 0.2 for start, end in spans)
    assert max(start for start, _ in spans) < min(end for _, end in spans)  # side by side


def test_a_cancelled_step_makes_if_ctx_cancelled_true_and_the_action_returns_early() -> None:
    worker = Worker("t")
    running = threading.Event()
    saw: list[tuple[bool, bool]] = []

    @worker.action("ctx:probe")
    def sleep(input: Any, ctx: Context) -> str:
        running.set()
        deadline = time.monotonic() + DEADLINE
        while time.monotonic() < deadline:
            if ctx.cancelled:
                saw.append((bool(ctx.cancelled), ctx.cancelled.is_set()))
                return "returned early"
            time.sleep(0.01)
        return "slept"

    sent = run_steps(worker, assign(), cancel_when=running)

    assert saw == [(True, True)]
    assert sent == [Started(step_run_id="sr-1", attempt=1)]  # a cancelled step's result is dropped


def test_ctx_cancelled_is_typed_as_the_flag() -> None:
    worker = Worker("t")
    seen: list[CancelFlag] = []

    @worker.action("ctx:probe")
    def probe(input: Any, ctx: Context) -> None:
        seen.append(assert_type(ctx.cancelled, CancelFlag))  # mypy checks this line too

    run_steps(worker, assign())

    assert [type(flag) for flag in seen] == [CancelFlag]


# -- the step, the workflow and the event ------------------------------------------------------


def test_the_context_names_the_step_the_workflow_and_the_event() -> None:
    worker = Worker("t")
    seen: list[tuple[Any, ...]] = []

    @worker.action("ctx:probe")
    def probe(input: Any, ctx: Context) -> None:
        seen.append((ctx.step_id, ctx.workflow_name, ctx.event, ctx.step_run_id, ctx.attempt))

    run_steps(worker, assign(step_id="greetUser", attempt=2))

    assert seen == [("greetUser", "sign-up", SIGN_UP, "sr-1", 2)]
    (_, _, event, _, _) = seen[0]
    assert (event.id, event.key) == ("ev-1", "user:create")


def test_a_run_no_event_started_has_no_event() -> None:
    worker = Worker("t")
    seen: list[object] = []
    worker.register_action("ctx:probe", lambda input, ctx: seen.append(ctx.event))

    run_steps(worker, assign(event=None))

    assert seen == [None]


def test_an_older_daemon_that_sends_no_step_id_fails_the_step_that_asks_for_it() -> None:
    """Silently `None` would make every step of a run build the same idempotency key."""
    worker = Worker("t")
    worker.register_action("ctx:probe", lambda input, ctx: f"{ctx.workflow_run_id}:{ctx.step_id}")
    old = DAEMON_MESSAGE.validate_json(
        '{"type": "assign", "step_run_id": "sr-1", "attempt": 1, "workflow_run_id": "wr-1", '
        '"action": "ctx:probe", "input": null}'
    )
    assert isinstance(old, Assign)

    (failed,) = [m for m in run_steps(worker, old) if isinstance(m, Failed)]

    assert failed.error == (
        "RuntimeError: ctx.step_id is unknown: the daemon that assigned this step is older than "
        "this worker's hatchet-cli and does not send it; upgrade hatchetd"
    )


@pytest.mark.parametrize("attribute", ["workflow_name", "event"])
def test_an_older_daemon_leaves_the_workflow_and_event_unknown_too(attribute: str) -> None:
    worker = Worker("t")
    worker.register_action("ctx:probe", lambda input, ctx: getattr(ctx, attribute))

    sent = run_steps(worker, assign(step_id=None, workflow_name=None, event=None))

    (failed,) = [m for m in sent if isinstance(m, Failed)]
    assert failed.error.startswith(f"RuntimeError: ctx.{attribute} is unknown: the daemon")


def test_a_worker_ignores_fields_a_newer_daemon_adds_to_its_messages() -> None:
    message = DAEMON_MESSAGE.validate_json(
        '{"type": "assign", "step_run_id": "sr-1", "attempt": 1, "workflow_run_id": "wr-1", '
        '"action": "ctx:probe", "input": null, "step_id": "probe", "from_the_future": 1}'
    )

    assert isinstance(message, Assign)
    assert message.step_id == "probe"
