"""Running step runs: the worker's execution path, with no socket in sight.

`StepRunner` takes the daemon's `assign`, `cancel` and `result_ack` messages and answers through
one `emit` function (the worker hands it the socket's outgoing queue; a test hands it
`list.append`). Every result goes into the `Outbox` before it is emitted and stays there until the
daemon acknowledges it, which is what lets the worker send it again after a reconnect.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import traceback
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from hatchetd.contracts.json_values import escape_unstorable
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

from ._actions import Action, InvalidInput, InvalidOutput
from ._context import Context
from ._threads import DaemonThreadPool

logger = logging.getLogger("hatchet_cli.worker")

Result = Completed | Failed
"""A step run's result: what the outbox holds until the daemon acknowledges it."""
ResultKey = tuple[str, int]
"""`(step_run_id, attempt)`: one attempt at one step run."""

# Frames of these files sit between the loop and an action; tracebacks start after the last one.
_PLUMBING = frozenset(str(Path(__file__).with_name(name)) for name in ("_runner.py", "_threads.py"))


class Outbox:
    """Results computed but not yet acknowledged by the daemon, oldest first."""

    def __init__(self) -> None:
        self._results: dict[ResultKey, Result] = {}

    def add(self, result: Result) -> None:
        self._results[(result.step_run_id, result.attempt)] = result

    def get(self, key: ResultKey) -> Result | None:
        return self._results.get(key)

    def discard(self, key: ResultKey) -> Result | None:
        """Forget a result: acknowledged, or its step run was cancelled."""
        return self._results.pop(key, None)

    def __iter__(self) -> Iterator[Result]:
        return iter(list(self._results.values()))

    def __len__(self) -> int:
        return len(self._results)

    def __contains__(self, key: object) -> bool:
        return key in self._results


@dataclass(eq=False)
class _Running:
    assign: Assign
    context: Context
    task: asyncio.Task[None]
    in_thread: bool = False
    """A sync action is running in a thread: cancelling it is up to the action."""
    started: bool = False
    """Its `started` has been emitted: it runs to the end even if the worker drains."""


class StepRunner:
    """Runs assigned step runs, at most `slots` at once, and reports on them through `emit`.

    Sync actions run in a pool of `slots` threads so that they never block the event loop (and
    with it the heartbeats); async actions run as tasks. Every method must be called from the
    event loop, except that `ctx.log()` may be called from any thread.
    """

    def __init__(
        self,
        actions: Mapping[str, Action],
        *,
        slots: int,
        emit: Callable[[WorkerMessage], None],
    ) -> None:
        self._actions = dict(actions)
        self._slots = slots
        self._emit = emit
        self._free = asyncio.Semaphore(slots)
        self._pool = DaemonThreadPool(slots)
        self._running: dict[ResultKey, _Running] = {}
        self._changed = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._loop_thread: int | None = None
        self._draining = False
        self.outbox = Outbox()

    @property
    def running(self) -> int:
        """How many step runs are running or waiting for a slot."""
        return len(self._running)

    @property
    def idle(self) -> bool:
        """Nothing is running and every result has been acknowledged."""
        return not self._running and not self.outbox

    def knows(self, assign: Assign) -> bool:
        """Whether this attempt is running here, or its result waits for an acknowledgement."""
        key = (assign.step_run_id, assign.attempt)
        return key in self._running or key in self.outbox

    @property
    def draining(self) -> bool:
        """`stop_starting()` was called: nothing more will start."""
        return self._draining

    def stop_starting(self) -> None:
        """Start nothing more: drop the assigned step runs that have not emitted `started` yet
        (they wait for a free slot, or for their task to begin) and refuse new assignments.
        What has started runs to the end.

        Called just before the worker tells the daemon it is draining: from then on, no
        `started` can follow that message, so the daemon may give every step run it holds here
        that is not RUNNING to another worker.
        """
        if self._draining:
            return
        self._draining = True
        for running in list(self._running.values()):
            if not running.started:
                logger.info(
                    "not starting step run %s (%s): this worker is draining; the daemon gives "
                    "it to another worker",
                    running.assign.step_run_id,
                    running.assign.action,
                )
                running.task.cancel()

    def handle(self, message: Assign | Cancel | ResultAck) -> None:
        """Act on one of the daemon's messages about step runs."""
        if isinstance(message, Assign):
            self.assign(message)
        elif isinstance(message, Cancel):
            self.cancel(message)
        else:
            self.acknowledge(message)

    def assign(self, assign: Assign) -> None:
        """Start running a step run (it waits for a free slot first)."""
        key = (assign.step_run_id, assign.attempt)
        if key in self._running:
            logger.debug("step run %s attempt %d is already running", *key)
            return
        result = self.outbox.get(key)
        if result is not None:  # assigned again before our result arrived: answer again
            self._emit(result)
            return
        if self._draining:
            logger.info(
                "not starting step run %s (%s): this worker is draining; the daemon gives it to "
                "another worker",
                assign.step_run_id,
                assign.action,
            )
            return
        if self._loop is None:
            self._loop = asyncio.get_running_loop()
            self._loop_thread = threading.get_ident()
        context = Context(
            step_run_id=assign.step_run_id,
            workflow_run_id=assign.workflow_run_id,
            attempt=assign.attempt,
            action=assign.action,
            step_outputs=assign.step_outputs,
            log_sink=lambda line: self._log(key, line),
            step_id=assign.step_id,
            workflow_name=assign.workflow_name,
            event=assign.event,
        )
        task = self._loop.create_task(
            self._run(assign, context), name=f"hatchet step run {assign.step_run_id}"
        )
        running = _Running(assign, context, task)
        self._running[key] = running
        # A done callback rather than a `finally`: a task cancelled before it first runs never
        # enters its coroutine.
        task.add_done_callback(lambda _: self._finished(key, running))
        self._changed.set()

    def cancel(self, cancel: Cancel) -> None:
        """Stop a step run: set its context's `cancelled`, cancel its task if it is async."""
        key = (cancel.step_run_id, cancel.attempt)
        if self.outbox.discard(key) is not None:
            self._changed.set()
        running = self._running.get(key)
        if running is None:
            return
        logger.info(
            "step run %s (%s) cancelled: %s",
            cancel.step_run_id,
            running.assign.action,
            cancel.reason,
        )
        running.context.cancelled.set()
        if not running.in_thread:
            running.task.cancel()

    def acknowledge(self, ack: ResultAck) -> None:
        """The daemon has the result (or refused it): forget it."""
        if self.outbox.discard((ack.step_run_id, ack.attempt)) is None:
            return
        if not ack.accepted:
            logger.warning(
                "the daemon did not accept the result of step run %s attempt %d: %s",
                ack.step_run_id,
                ack.attempt,
                ack.reason or "no reason given",
            )
        self._changed.set()

    async def wait_idle(self) -> None:
        """Return once nothing runs and every result has been acknowledged."""
        while True:
            self._changed.clear()
            if self.idle:
                return
            await self._changed.wait()

    async def wait_changed(self) -> None:
        """Return at the next change: a step run started or finished, a result acknowledged."""
        self._changed.clear()
        await self._changed.wait()

    def describe_pending(self) -> str:
        """What an early stop would lose, for a log line."""
        running = ", ".join(
            f"{r.assign.step_run_id} ({r.assign.action})" for r in self._running.values()
        )
        unacked = ", ".join(result.step_run_id for result in self.outbox)
        return f"running: {running or 'none'}; results not acknowledged: {unacked or 'none'}"

    async def aclose(self) -> None:
        """Cancel what still runs (sending no results) and close the thread pool.

        A sync action that ignores `ctx.cancelled` cannot be stopped: its daemon thread is left
        to finish or to die with the process.
        """
        for running in self._running.values():
            running.context.cancelled.set()
            running.task.cancel()
        tasks = [running.task for running in self._running.values()]
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
        self._pool.shutdown(wait=self._pool.busy == 0, cancel_futures=True)

    # -- running one step run ------------------------------------------------------------------

    async def _run(self, assign: Assign, context: Context) -> None:
        running = self._running[(assign.step_run_id, assign.attempt)]
        if self._free.locked():
            logger.warning(
                "no free slot (slots=%d): step run %s (%s) waits for one",
                self._slots,
                assign.step_run_id,
                assign.action,
            )
        async with self._free:
            if self._draining:  # never after `draining` went out, whatever cancelled us or not
                return
            running.started = True
            self._emit(Started(step_run_id=assign.step_run_id, attempt=assign.attempt))
            result = await self._execute(assign, context, running)
        if context.cancelled.is_set():
            logger.debug("step run %s was cancelled: its result is not sent", assign.step_run_id)
            return
        if isinstance(result, Failed):
            logger.warning(
                "step run %s (%s) failed: %s", assign.step_run_id, assign.action, result.error
            )
        else:
            logger.debug("step run %s (%s) completed", assign.step_run_id, assign.action)
        self.outbox.add(result)
        self._emit(result)

    async def _execute(self, assign: Assign, context: Context, running: _Running) -> Result:
        action = self._actions.get(assign.action)
        if action is None:
            known = ", ".join(sorted(self._actions))
            return _failed(assign, f"this worker has no action {assign.action} (it has {known})")
        try:
            value = action.prepare_input(assign.input)
            if action.is_async:
                returned = await action.fn(value, context)
            else:
                running.in_thread = True
                returned = await asyncio.wrap_future(self._pool.submit(action.fn, value, context))
            output = action.to_output(returned)
        except (InvalidInput, InvalidOutput) as exc:
            return _failed(assign, str(exc))
        except asyncio.CancelledError as exc:
            task = asyncio.current_task()
            if task is not None and task.cancelling():
                raise  # cancelled by us: by a `cancel`, or because the worker is stopping
            return _failed(assign, _error_text(exc), _traceback_text(exc))
        except (Exception, SystemExit) as exc:
            return _failed(assign, _error_text(exc), _traceback_text(exc))
        return Completed(step_run_id=assign.step_run_id, attempt=assign.attempt, output=output)

    def _finished(self, key: ResultKey, running: _Running) -> None:
        if self._running.get(key) is running:
            del self._running[key]
        self._changed.set()

    def _log(self, key: ResultKey, line: str) -> None:
        message = Log(step_run_id=key[0], attempt=key[1], line=line)
        logger.debug("step run %s: %s", key[0], line)
        if threading.get_ident() == self._loop_thread:
            self._emit(message)  # in order with what the action emits next
            return
        assert self._loop is not None  # set by the assign that created the context
        # A closed loop: the worker stopped without waiting for this step; nobody is listening.
        with contextlib.suppress(RuntimeError):
            self._loop.call_soon_threadsafe(self._emit, message)


def _failed(assign: Assign, error: str, traceback_text: str | None = None) -> Failed:
    # An exception's message may hold a NUL or a lone surrogate, which the daemon refuses to
    # store: written as escapes, the failure is still reported, and readable.
    return Failed(
        step_run_id=assign.step_run_id,
        attempt=assign.attempt,
        error=escape_unstorable(error),
        traceback=None if traceback_text is None else escape_unstorable(traceback_text),
    )


def _error_text(exc: BaseException) -> str:
    message = str(exc)
    return f"{type(exc).__name__}: {message}" if message else type(exc).__name__


def _traceback_text(exc: BaseException) -> str:
    """The traceback from the action's own frame on: the SDK's plumbing is left out."""
    start: TracebackType | None = exc.__traceback__
    frame = start
    while frame is not None:
        if frame.tb_frame.f_code.co_filename in _PLUMBING:
            start = frame.tb_next
        frame = frame.tb_next
    return "".join(traceback.format_exception(type(exc), exc, start))
