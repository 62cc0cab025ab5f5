"""Running step runs (design §8, §9): what a worker sends the daemon for each assignment.

Each test drives the worker's real execution path on a real event loop and records the protocol
messages it emits, as the socket would carry them; no daemon and no socket are involved.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

import pytest
from pydantic import BaseModel

from hatchet_cli.sdk import Context, Worker
from hatchet_cli.sdk._connection import Outgoing
from hatchet_cli.sdk._runner import StepRunner
from hatchetd.contracts.enums import CancelReason
from hatchetd.contracts.json_values import text_problem
from hatchetd.contracts.worker_protocol import (
    Assign,
    Cancel,
    Completed,
    Failed,
    Log,
    ResultAck,
    Started,
    WorkerMessage,
)

T = TypeVar("T")
DEADLINE = 5.0


def assign(
    action: str = "echo:echo",
    input: Any = ...,
    *,
    step_run_id: str = "sr-1",
    attempt: int = 1,
    step_outputs: dict[str, Any] | None = None,
) -> Assign:
    return Assign(
        step_run_id=step_run_id,
        attempt=attempt,
        workflow_run_id="wr-1",
        action=action,
        input={"message": "hi"} if input is ... else input,
        step_outputs=step_outputs or {},
    )


async def until(condition: Callable[[], bool], what: str = "the condition") -> None:
    """Wait for `condition` to hold, checking on every turn of the loop, up to a deadline."""
    async with asyncio.timeout(DEADLINE):
        while not condition():
            await asyncio.sleep(0.001)
    assert condition(), what


def run(worker: Worker, body: Callable[[StepRunner, list[WorkerMessage]], Awaitable[T]]) -> T:
    """Run `body` with a step runner of `worker` whose messages go to a list; close it after."""

    async def main() -> T:
        sent: list[WorkerMessage] = []
        runner = worker._step_runner(sent.append)
        try:
            return await body(runner, sent)
        finally:
            await runner.aclose()

    return asyncio.run(main())


def run_queued(worker: Worker, body: Callable[[StepRunner, Outgoing], Awaitable[None]]) -> None:
    """Run `body` with a step runner wired, as the worker wires it, to the socket's queue."""

    async def main() -> None:
        outgoing = Outgoing()
        runner = worker._step_runner(outgoing.put)
        try:
            await body(runner, outgoing)
        finally:
            await runner.aclose()

    asyncio.run(main())


def execute(worker: Worker, *assigns: Assign) -> list[WorkerMessage]:
    """Assign each step run, wait for every one to finish; the messages sent, in order."""

    async def body(runner: StepRunner, sent: list[WorkerMessage]) -> list[WorkerMessage]:
        for message in assigns:
            runner.assign(message)
        await until(lambda: runner.running == 0)
        return sent

    return run(worker, body)


def results(sent: list[WorkerMessage]) -> list[Completed | Failed]:
    return [message for message in sent if isinstance(message, Completed | Failed)]


def only_failure(sent: list[WorkerMessage]) -> Failed:
    (result,) = results(sent)
    assert isinstance(result, Failed), result
    return result


# -- sync and async actions ----------------------------------------------------------------------


def test_a_sync_action_runs_in_a_thread_and_its_output_is_sent_after_started() -> None:
    worker = Worker("t")
    threads: list[str] = []

    @worker.action("echo:echo")
    def echo(input: dict[str, Any], ctx: Context) -> dict[str, Any]:
        threads.append(threading.current_thread().name)
        return {"message": input["message"]}

    sent = execute(worker, assign(input={"message": "hi"}))

    assert sent == [
        Started(step_run_id="sr-1", attempt=1),
        Completed(step_run_id="sr-1", attempt=1, output={"message": "hi"}),
    ]
    assert threads[0].startswith("hatchet-action")


def test_an_async_action_runs_on_the_event_loop() -> None:
    worker = Worker("t")
    threads: list[str] = []

    @worker.action("echo:echo")
    async def echo(input: dict[str, Any], ctx: Context) -> dict[str, Any]:
        await asyncio.sleep(0)
        threads.append(threading.current_thread().name)
        return {"message": input["message"], "attempt": ctx.attempt}

    sent = execute(worker, assign(input={"message": "hi"}, attempt=2))

    assert sent == [
        Started(step_run_id="sr-1", attempt=2),
        Completed(step_run_id="sr-1", attempt=2, output={"message": "hi", "attempt": 2}),
    ]
    assert threads == [threading.main_thread().name]


def test_the_context_describes_the_step_run() -> None:
    worker = Worker("t")
    seen: list[tuple[str, str, int, str]] = []

    @worker.action("echo:echo")
    def echo(input: Any, ctx: Context) -> None:
        seen.append((ctx.step_run_id, ctx.workflow_run_id, ctx.attempt, ctx.action))

    execute(worker, assign(step_run_id="sr-9", attempt=3))

    assert seen == [("sr-9", "wr-1", 3, "echo:echo")]


# -- pydantic inputs and outputs -------------------------------------------------------------


class NewSubscriber(BaseModel):
    email: str
    newsletter: str = "updates"


class Receipt(BaseModel):
    subscriber: str
    at: datetime


def test_an_input_annotated_with_a_model_is_validated_into_it() -> None:
    worker = Worker("t")
    received: list[object] = []

    @worker.action("newsletter:add-user")
    def add_user(input: NewSubscriber, ctx: Context) -> Receipt:
        received.append(input)
        return Receipt(subscriber=input.email, at=datetime(2024, 5, 1, tzinfo=UTC))

    sent = execute(worker, assign("newsletter:add-user", {"email": "ada@example.com"}))

    assert received == [NewSubscriber(email="ada@example.com")]
    assert results(sent) == [
        Completed(
            step_run_id="sr-1",
            attempt=1,
            output={"subscriber": "ada@example.com", "at": "2024-05-01T00:00:00Z"},
        )
    ]


def test_an_input_that_does_not_fit_the_model_fails_the_step_naming_the_fields() -> None:
    worker = Worker("t")
    calls: list[object] = []

    @worker.action("newsletter:add-user")
    def add_user(input: NewSubscriber, ctx: Context) -> None:
        calls.append(input)

    sent = execute(worker, assign("newsletter:add-user", {"newsletter": 3}))

    failure = only_failure(sent)
    assert failure.error == (
        "invalid input for newsletter:add-user: email: field required; "
        "newsletter: input should be a valid string"
    )
    assert failure.traceback is None
    assert calls == []
    assert sent[0] == Started(step_run_id="sr-1", attempt=1)


def test_a_step_without_input_gets_the_models_defaults() -> None:
    class Options(BaseModel):
        seconds: float = 1.5

    worker = Worker("t")

    @worker.action("timeout:timeout")
    def sleep(input: Options, ctx: Context) -> float:
        return input.seconds

    sent = execute(worker, assign("timeout:timeout", input=None))

    assert results(sent) == [Completed(step_run_id="sr-1", attempt=1, output=1.5)]


# -- failures --------------------------------------------------------------------------------


def raise_boom_sync(input: Any, ctx: Context) -> None:
    raise ValueError("boom: the input was wrong")


async def raise_boom_async(input: Any, ctx: Context) -> None:
    await asyncio.sleep(0)
    raise ValueError("boom: the input was wrong")


@pytest.mark.parametrize("fn", [raise_boom_sync, raise_boom_async], ids=["sync", "async"])
def test_an_exception_fails_the_step_with_its_type_message_and_traceback(
    fn: Callable[[Any, Context], Any],
) -> None:
    worker = Worker("t")
    worker.register_action("echo:echo", fn)

    failure = only_failure(execute(worker, assign()))

    assert failure.error == "ValueError: boom: the input was wrong"
    assert failure.traceback is not None
    assert failure.traceback.startswith("Traceback (most recent call last):\n")
    assert f"in {fn.__name__}\n" in failure.traceback
    assert 'raise ValueError("boom: the input was wrong")' in failure.traceback
    assert failure.traceback.endswith("ValueError: boom: the input was wrong\n")
    # The SDK's own frames are left out: the first frame is the action's.
    first_frame = failure.traceback.splitlines()[1]
    assert first_frame.endswith(f"in {fn.__name__}"), first_frame
    assert "hatchet_cli" not in failure.traceback


def test_an_exception_without_a_message_is_named_alone() -> None:
    worker = Worker("t")

    @worker.action("echo:echo")
    def echo(input: Any, ctx: Context) -> None:
        raise RuntimeError

    assert only_failure(execute(worker, assign())).error == "RuntimeError"


def test_a_cancelled_error_raised_by_the_action_itself_is_a_failure() -> None:
    worker = Worker("t")

    @worker.action("echo:echo")
    async def echo(input: Any, ctx: Context) -> None:
        raise asyncio.CancelledError("gave up")

    assert only_failure(execute(worker, assign())).error == "CancelledError: gave up"


def test_a_return_value_that_is_not_json_fails_the_step() -> None:
    worker = Worker("t")

    @worker.action("echo:echo")
    def echo(input: Any, ctx: Context) -> object:
        return {"handle": object()}

    failure = only_failure(execute(worker, assign()))

    assert failure.error.startswith(
        "echo:echo returned a value that is not JSON-serialisable (Unable to serialize unknown "
        "type: <class 'object'>)"
    )
    assert failure.error.endswith(
        "return a dict, list, str, number, bool, None or a pydantic model"
    )


def deep(levels: int) -> dict[str, Any]:
    value: dict[str, Any] = {}
    for _ in range(levels - 1):
        value = {"a": value}
    return value


@pytest.mark.parametrize(
    ("output", "problem"),
    [
        ({"ratio": float("nan")}, "output.ratio: NaN is not a finite number"),
        ([1, float("-inf")], "output[1]: -Infinity is not a finite number"),
        (10**400, "output: a 401-digit integer is out of range: numbers are limited to "
         "±1.7976931348623157e308"),
        ({"name": "Ada\x00"}, "output.name: contains a NUL character (\\u0000)"),
        ({"k\x00": 1}, 'output["k\\u0000"]: the key contains a NUL character (\\u0000)'),
        ("\udc80", "output: contains a lone surrogate (\\udc80), which is not Unicode text"),
        (deep(65), "output.a.a.a.a.a.a.a.a…: nested deeper than 64 levels"),
    ],
)  # fmt: skip
def test_an_output_the_daemon_cannot_store_fails_the_step_naming_the_path(
    output: Any, problem: str
) -> None:
    """Checked with the daemon's own rules before sending: sent anyway, it would be refused
    and stay unacknowledged, sent again after every reconnect."""
    worker = Worker("t")
    worker.register_action("echo:echo", lambda input, ctx: output)

    failure = only_failure(execute(worker, assign()))

    assert failure.error == f"echo:echo returned a value hatchetd cannot store: {problem}"
    assert failure.traceback is None


def test_an_output_at_the_limits_is_sent_as_it_is() -> None:
    output = {"deep": deep(63), "max": 1.7976931348623157e308, "int": -int("9" * 308)}
    worker = Worker("t")
    worker.register_action("echo:echo", lambda input, ctx: output)

    (result,) = results(execute(worker, assign()))

    assert result == Completed(step_run_id="sr-1", attempt=1, output=output)


def test_a_failure_or_log_line_with_text_the_daemon_cannot_store_is_sent_escaped() -> None:
    worker = Worker("t")

    @worker.action("echo:echo")
    def echo(input: Any, ctx: Context) -> None:
        ctx.log("half\x00line \udc80")
        raise ValueError("bad byte \x00 in \udcff")

    sent = execute(worker, assign())

    assert sent[1] == Log(step_run_id="sr-1", attempt=1, line="half\\x00line \\udc80")
    failure = only_failure(sent)
    assert failure.error == "ValueError: bad byte \\x00 in \\udcff"
    assert failure.traceback is not None
    assert failure.traceback.endswith("ValueError: bad byte \\x00 in \\udcff\n")
    assert text_problem(failure.error) is None
    assert text_problem(failure.traceback) is None


def test_a_long_log_line_of_nul_characters_is_escaped_then_cut_and_never_raises() -> None:
    worker = Worker("t")
    worker.register_action("echo:echo", lambda input, ctx: ctx.log("\x00" * 64 * 1024))

    (line,) = [message for message in execute(worker, assign()) if isinstance(message, Log)]

    assert len(line.line) <= 64 * 1024
    assert line.line.startswith("\\x00\\x00")
    assert line.line.endswith("more characters cut]")


def test_a_sync_action_that_returns_a_coroutine_is_told_to_use_async_def() -> None:
    async def later() -> int:
        return 1

    worker = Worker("t")
    worker.register_action("echo:echo", lambda input, ctx: later())

    failure = only_failure(execute(worker, assign()))

    assert failure.error == (
        "echo:echo returned an awaitable; declare the action with `async def` so that the "
        "worker awaits it"
    )


def test_an_output_over_the_limit_fails_the_step() -> None:
    worker = Worker("t")
    worker.register_action("echo:echo", lambda input, ctx: "x" * (1024 * 1024))

    error = only_failure(execute(worker, assign())).error

    assert error.startswith("echo:echo returned 1048578 bytes of JSON; a step's output is limited")


def test_an_action_this_worker_does_not_have_fails_the_step() -> None:
    worker = Worker("t")
    worker.register_action("echo:echo", lambda input, ctx: None)

    failure = only_failure(execute(worker, assign("slack:send-message")))

    assert failure.error == "this worker has no action slack:send-message (it has echo:echo)"


# -- logs and step outputs -------------------------------------------------------------------


def test_log_lines_from_a_sync_thread_arrive_in_order_between_started_and_the_result() -> None:
    worker = Worker("t")

    @worker.action("echo:echo")
    def echo(input: Any, ctx: Context) -> str:
        for number in range(50):
            ctx.log(f"line {number}")
        return "done"

    sent = execute(worker, assign())

    assert sent[0] == Started(step_run_id="sr-1", attempt=1)
    assert sent[1:-1] == [
        Log(step_run_id="sr-1", attempt=1, line=f"line {number}") for number in range(50)
    ]
    assert sent[-1] == Completed(step_run_id="sr-1", attempt=1, output="done")


def test_log_lines_from_an_async_action_arrive_before_its_result() -> None:
    worker = Worker("t")

    @worker.action("echo:echo")
    async def echo(input: Any, ctx: Context) -> str:
        ctx.log({"not": "a string"})
        return "done"

    sent = execute(worker, assign())

    assert sent[1] == Log(step_run_id="sr-1", attempt=1, line="{'not': 'a string'}")
    assert isinstance(sent[2], Completed)


def test_a_very_long_log_line_is_cut_to_the_protocols_limit() -> None:
    worker = Worker("t")
    worker.register_action("echo:echo", lambda input, ctx: ctx.log("y" * 100_000))

    (log,) = [message for message in execute(worker, assign()) if isinstance(message, Log)]

    assert len(log.line) == 64 * 1024
    assert log.line.endswith(" … [34464 more characters cut]")


def test_step_output_reads_the_earlier_steps_of_the_job() -> None:
    worker = Worker("t")

    @worker.action("echo:object")
    def obj(input: Any, ctx: Context) -> Any:
        return ctx.step_output("echo3")["json"]

    sent = execute(
        worker,
        assign("echo:object", step_outputs={"echo3": {"json": {"message": "m"}}, "echo1": {}}),
    )

    assert results(sent) == [Completed(step_run_id="sr-1", attempt=1, output={"message": "m"})]


def test_an_unknown_step_output_fails_the_step_listing_the_known_ones() -> None:
    worker = Worker("t")
    worker.register_action("echo:echo", lambda input, ctx: ctx.step_output("echo9"))

    failure = only_failure(execute(worker, assign(step_outputs={"echo2": 1, "echo1": 2})))

    assert failure.error == (
        "KeyError: \"no output of step 'echo9' in this job (the earlier steps of this job are "
        'echo1, echo2); ctx.step_output() sees only the earlier steps of the same job"'
    )
    assert failure.traceback is not None
    assert 'ctx.step_output("echo9")' in failure.traceback  # the action's line is shown


# -- cancellation ----------------------------------------------------------------------------


def cancel(step_run_id: str = "sr-1", attempt: int = 1) -> Cancel:
    return Cancel(step_run_id=step_run_id, attempt=attempt, reason=CancelReason.TIMED_OUT)


def test_a_cancelled_async_action_is_cancelled_and_sends_no_result() -> None:
    worker = Worker("t")
    started = asyncio.Event()
    outcome: list[str] = []

    @worker.action("timeout:timeout")
    async def wait_forever(input: Any, ctx: Context) -> str:
        started.set()
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            outcome.append(f"cancelled, flag set: {ctx.cancelled.is_set()}")
            raise
        return "too late"

    async def body(runner: StepRunner, sent: list[WorkerMessage]) -> list[WorkerMessage]:
        runner.assign(assign("timeout:timeout"))
        await started.wait()
        runner.handle(cancel())
        await until(lambda: runner.running == 0)
        return sent

    sent = run(worker, body)

    assert sent == [Started(step_run_id="sr-1", attempt=1)]
    assert outcome == ["cancelled, flag set: True"]


def test_an_async_action_that_swallows_its_cancellation_still_sends_no_result() -> None:
    worker = Worker("t")
    started = asyncio.Event()

    @worker.action("timeout:timeout")
    async def stubborn(input: Any, ctx: Context) -> str:
        started.set()
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            return "finished anyway"
        return "too late"

    async def body(runner: StepRunner, sent: list[WorkerMessage]) -> list[WorkerMessage]:
        runner.assign(assign("timeout:timeout"))
        await started.wait()
        runner.cancel(cancel())
        await until(lambda: runner.running == 0)
        return sent

    assert run(worker, body) == [Started(step_run_id="sr-1", attempt=1)]


def test_a_sync_action_sees_ctx_cancelled_and_its_result_is_not_sent() -> None:
    worker = Worker("t")
    waiting = threading.Event()

    @worker.action("timeout:timeout")
    def sleep(input: Any, ctx: Context) -> str:
        waiting.set()
        return "cancelled" if ctx.cancelled.wait(DEADLINE) else "slept"

    async def body(runner: StepRunner, sent: list[WorkerMessage]) -> list[WorkerMessage]:
        runner.assign(assign("timeout:timeout"))
        await until(waiting.is_set)
        runner.cancel(cancel())
        await until(lambda: runner.running == 0)
        return sent

    assert run(worker, body) == [Started(step_run_id="sr-1", attempt=1)]


def test_a_cancel_for_another_attempt_changes_nothing() -> None:
    worker = Worker("t")
    release = asyncio.Event()

    @worker.action("echo:echo")
    async def echo(input: Any, ctx: Context) -> bool:
        await release.wait()
        return ctx.cancelled.is_set()

    async def body(runner: StepRunner, sent: list[WorkerMessage]) -> list[WorkerMessage]:
        runner.assign(assign(attempt=2))
        runner.cancel(cancel(attempt=1))
        release.set()
        await until(lambda: runner.running == 0)
        return sent

    assert results(run(worker, body)) == [Completed(step_run_id="sr-1", attempt=2, output=False)]


# -- slots ---------------------------------------------------------------------------------------


def test_no_more_than_slots_step_runs_run_at_once() -> None:
    worker = Worker("t", slots=2)
    release = threading.Event()
    lock = threading.Lock()
    now_running = [0]
    most = [0]

    @worker.action("echo:echo")
    def busy(input: Any, ctx: Context) -> str:
        with lock:
            now_running[0] += 1
            most[0] = max(most[0], now_running[0])
        release.wait(DEADLINE)
        with lock:
            now_running[0] -= 1
        return ctx.step_run_id

    def started(sent: list[WorkerMessage]) -> list[str]:
        return [message.step_run_id for message in sent if isinstance(message, Started)]

    async def body(runner: StepRunner, sent: list[WorkerMessage]) -> list[WorkerMessage]:
        for number in range(1, 4):
            runner.assign(assign(step_run_id=f"sr-{number}"))
        await until(lambda: now_running[0] == 2)
        assert started(sent) == ["sr-1", "sr-2"]  # the third waits for a slot
        release.set()
        await until(lambda: runner.running == 0)
        return sent

    sent = run(worker, body)

    assert started(sent) == ["sr-1", "sr-2", "sr-3"]
    assert most[0] == 2
    assert sorted(r.step_run_id for r in results(sent)) == ["sr-1", "sr-2", "sr-3"]


def test_a_step_run_cancelled_while_waiting_for_a_slot_never_starts() -> None:
    worker = Worker("t", slots=1)
    release = asyncio.Event()

    @worker.action("echo:echo")
    async def wait(input: Any, ctx: Context) -> str:
        await release.wait()
        return ctx.step_run_id

    async def body(runner: StepRunner, sent: list[WorkerMessage]) -> list[WorkerMessage]:
        runner.assign(assign(step_run_id="sr-1"))
        runner.assign(assign(step_run_id="sr-2"))
        await until(lambda: len(sent) == 1)
        runner.cancel(cancel("sr-2"))
        release.set()
        await until(lambda: runner.running == 0)
        return sent

    assert run(worker, body) == [
        Started(step_run_id="sr-1", attempt=1),
        Completed(step_run_id="sr-1", attempt=1, output="sr-1"),
    ]


# -- draining ----------------------------------------------------------------------------------


def test_once_draining_what_started_finishes_and_what_had_not_never_starts(
    caplog: pytest.LogCaptureFixture,
) -> None:
    worker = Worker("t", slots=1)
    release = asyncio.Event()

    @worker.action("echo:echo")
    async def wait(input: Any, ctx: Context) -> str:
        await release.wait()
        return ctx.step_run_id

    async def body(runner: StepRunner, sent: list[WorkerMessage]) -> list[WorkerMessage]:
        runner.assign(assign(step_run_id="sr-1"))
        runner.assign(assign(step_run_id="sr-2"))  # will wait for sr-1's slot
        await until(lambda: len(sent) == 1)
        runner.assign(assign(step_run_id="sr-3"))  # its task has not even begun when...
        runner.stop_starting()  # ...the worker begins draining
        runner.assign(assign(step_run_id="sr-4"))  # arrives after: refused
        release.set()
        await until(lambda: runner.running == 0)
        assert runner.draining
        return sent

    with caplog.at_level(logging.INFO, logger="hatchet_cli.worker"):
        sent = run(worker, body)

    assert sent == [
        Started(step_run_id="sr-1", attempt=1),
        Completed(step_run_id="sr-1", attempt=1, output="sr-1"),
    ]
    assert [m for m in caplog.messages if m.startswith("not starting")] == [
        f"not starting step run {sr} (echo:echo): this worker is draining; the daemon gives it "
        "to another worker"
        for sr in ("sr-2", "sr-3", "sr-4")
    ]


def test_a_draining_worker_still_answers_a_repeated_assignment_from_its_outbox() -> None:
    worker = Worker("t")
    worker.register_action("echo:echo", lambda input, ctx: "out")

    async def body(runner: StepRunner, sent: list[WorkerMessage]) -> list[WorkerMessage]:
        runner.assign(assign())
        await until(lambda: runner.running == 0)
        runner.stop_starting()
        runner.assign(assign())  # the daemon never got the result: it is sent again
        return sent

    assert (
        results(run(worker, body)) == [Completed(step_run_id="sr-1", attempt=1, output="out")] * 2
    )


# -- the outbox --------------------------------------------------------------------------------


def ack(step_run_id: str = "sr-1", attempt: int = 1, *, accepted: bool = True) -> ResultAck:
    return ResultAck(step_run_id=step_run_id, attempt=attempt, accepted=accepted)


def test_a_result_stays_in_the_outbox_until_the_daemon_acknowledges_it() -> None:
    worker = Worker("t")
    worker.register_action("echo:echo", lambda input, ctx: "out")

    async def body(runner: StepRunner, sent: list[WorkerMessage]) -> None:
        runner.assign(assign())
        await until(lambda: runner.running == 0)
        assert list(runner.outbox) == results(sent)
        assert not runner.idle
        runner.handle(ack("sr-1", attempt=2))  # another attempt's ack: not this result
        assert len(runner.outbox) == 1
        runner.handle(ack())
        assert list(runner.outbox) == []
        assert runner.idle

    run(worker, body)


def test_a_refused_result_is_forgotten_with_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    worker = Worker("t")
    worker.register_action("echo:echo", lambda input, ctx: "out")

    async def body(runner: StepRunner, sent: list[WorkerMessage]) -> None:
        runner.assign(assign())
        await until(lambda: runner.running == 0)
        refusal = ack(accepted=False).model_copy(update={"reason": "attempt 2 is current"})
        runner.acknowledge(refusal)
        assert runner.idle

    with caplog.at_level(logging.WARNING, logger="hatchet_cli.worker"):
        run(worker, body)

    assert caplog.messages == [
        "the daemon did not accept the result of step run sr-1 attempt 1: attempt 2 is current"
    ]


def test_unacknowledged_results_are_sent_again_after_a_reconnect_and_only_once() -> None:
    worker = Worker("t")
    worker.register_action("echo:echo", lambda input, ctx: ctx.step_run_id)

    async def body(runner: StepRunner, outgoing: Outgoing) -> None:
        runner.assign(assign(step_run_id="sr-1"))
        runner.assign(assign(step_run_id="sr-2"))
        await until(lambda: runner.running == 0)
        first = [await outgoing.get() for _ in range(len(outgoing))]  # sent on the socket...
        assert len(results(first)) == 2
        runner.acknowledge(ack("sr-2"))  # ...and only sr-2's ack came back before it dropped

        outgoing.put(Log(step_run_id="sr-3", attempt=1, line="logged while disconnected"))
        outgoing.reconnected(runner.outbox)  # registered again

        assert list(outgoing) == [
            Log(step_run_id="sr-3", attempt=1, line="logged while disconnected"),
            Completed(step_run_id="sr-1", attempt=1, output="sr-1"),
        ]
        _ = [await outgoing.get() for _ in range(len(outgoing))]
        runner.acknowledge(ack("sr-1"))
        outgoing.reconnected(runner.outbox)
        assert list(outgoing) == []

    run_queued(worker, body)


def test_a_result_still_queued_at_a_disconnect_is_sent_once_after_the_reconnect() -> None:
    worker = Worker("t")
    worker.register_action("echo:echo", lambda input, ctx: "out")

    async def body(runner: StepRunner, outgoing: Outgoing) -> None:
        runner.assign(assign())
        await until(lambda: runner.running == 0)  # queued, never sent: the socket was down
        outgoing.reconnected(runner.outbox)
        assert list(outgoing) == [
            Started(step_run_id="sr-1", attempt=1),
            Completed(step_run_id="sr-1", attempt=1, output="out"),
        ]

    run_queued(worker, body)


def test_an_assignment_repeated_before_the_ack_is_answered_from_the_outbox() -> None:
    worker = Worker("t")
    calls: list[str] = []
    worker.register_action("echo:echo", lambda input, ctx: calls.append(ctx.step_run_id))

    async def body(runner: StepRunner, sent: list[WorkerMessage]) -> list[WorkerMessage]:
        runner.assign(assign())
        runner.assign(assign())  # a duplicate while it runs: ignored
        await until(lambda: runner.running == 0)
        runner.assign(assign())  # again before the ack: the same result, not a second run
        return sent

    sent = run(worker, body)

    assert calls == ["sr-1"]
    assert results(sent) == [Completed(step_run_id="sr-1", attempt=1, output=None)] * 2


def test_a_cancel_drops_an_unacknowledged_result() -> None:
    worker = Worker("t")
    worker.register_action("echo:echo", lambda input, ctx: "out")

    async def body(runner: StepRunner, _: list[WorkerMessage]) -> None:
        runner.assign(assign())
        await until(lambda: runner.running == 0)
        runner.cancel(cancel())
        assert runner.idle

    run(worker, body)


def test_closing_the_runner_cancels_what_runs_without_sending_results() -> None:
    worker = Worker("t")
    started = asyncio.Event()

    @worker.action("echo:echo")
    async def forever(input: Any, ctx: Context) -> None:
        started.set()
        await asyncio.Event().wait()

    async def body(runner: StepRunner, sent: list[WorkerMessage]) -> list[WorkerMessage]:
        runner.assign(assign())
        await started.wait()
        await runner.aclose()
        assert runner.running == 0
        return sent

    assert run(worker, body) == [Started(step_run_id="sr-1", attempt=1)]
