"""`Context`: what an action knows about the step run it is running, and how it talks back."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from typing import Any

from hatchetd.contracts.json_values import escape_unstorable
from hatchetd.contracts.worker_protocol import TriggerEvent

MAX_LOG_LINE = 64 * 1024
"""The longest line `ctx.log()` sends (the protocol's limit); longer lines are cut."""


class CancelFlag(threading.Event):
    """`ctx.cancelled`: a `threading.Event` that is also a plain condition.

    `if ctx.cancelled:` is false until the step run is cancelled, then true (a bare
    `threading.Event` is always true). `wait(timeout)` and `is_set()` work as on any event:
    `ctx.cancelled.wait(5)` sleeps up to 5 s, and returns True at once on a cancel.
    """

    def __bool__(self) -> bool:
        return self.is_set()

    def __repr__(self) -> str:
        return f"CancelFlag({'set' if self.is_set() else 'not set'})"


class Context:
    """The second argument of every action: the step run's identity, its job's earlier outputs,
    its log and its cancellation flag.

    A context belongs to one attempt at one step run. Its methods may be called from the thread a
    sync action runs in as well as from the event loop.
    """

    def __init__(
        self,
        *,
        step_run_id: str,
        workflow_run_id: str,
        attempt: int,
        action: str,
        step_outputs: Mapping[str, Any],
        log_sink: Callable[[str], None],
        step_id: str | None = None,
        workflow_name: str | None = None,
        event: TriggerEvent | None = None,
    ) -> None:
        self._step_run_id = step_run_id
        self._workflow_run_id = workflow_run_id
        self._attempt = attempt
        self._action = action
        self._step_outputs = dict(step_outputs)
        self._log_sink = log_sink
        self._step_id = step_id
        self._workflow_name = workflow_name
        self._event = event
        self._cancelled = CancelFlag()

    @property
    def step_run_id(self) -> str:
        """The id of the step run being run."""
        return self._step_run_id

    @property
    def step_id(self) -> str:
        """The step's `id` in the workflow file, e.g. `greetUser`.

        With the run id it names this step of this run on every attempt:
        `f"{ctx.workflow_run_id}:{ctx.step_id}"` is an idempotency key for the step's side effects.
        """
        if self._step_id is None:
            raise _unknown("step_id")
        return self._step_id

    @property
    def workflow_run_id(self) -> str:
        """The id of the workflow run it belongs to."""
        return self._workflow_run_id

    @property
    def workflow_name(self) -> str:
        """The `name` of the workflow being run."""
        if self._workflow_name is None:
            raise _unknown("workflow_name")
        return self._workflow_name

    @property
    def event(self) -> TriggerEvent | None:
        """The event that started the workflow run (`id`, `key`, `created_at`), or None for a run
        no event started (a cron schedule's, or one started by hand). Its data is not here: the
        step's `with:` passes on what the action needs of it."""
        if self._step_id is None:  # every daemon that sends the event sends the step id
            raise _unknown("event")
        return self._event

    @property
    def attempt(self) -> int:
        """The attempt number, from 1; a retry runs again with the next number."""
        return self._attempt

    @property
    def action(self) -> str:
        """The action being run, `integration:verb`."""
        return self._action

    @property
    def cancelled(self) -> CancelFlag:
        """Set when the daemon cancels this step run (a timeout, a user's cancel, a failed job).

        A sync action should check `if ctx.cancelled:` in its loops, or wait on it instead of
        sleeping (`ctx.cancelled.wait(5)`), and return early; an async action is also cancelled
        with `asyncio.CancelledError`. Either way the result of a cancelled step is not sent.
        """
        return self._cancelled

    def log(self, line: object) -> None:
        """Add a line to the step run's log (`hatchet runs logs`); `str(line)` is sent.

        Lines over 64 KiB are cut; a NUL or a lone surrogate, which the daemon cannot store, is
        sent as its escape (`\\x00`). Logging never blocks and never raises: lines are sent in
        order, after the step run's `started` and before its result.
        """
        text = escape_unstorable(str(line))
        if len(text) > MAX_LOG_LINE:
            marker = f" … [{len(text) - MAX_LOG_LINE} more characters cut]"
            text = text[: MAX_LOG_LINE - len(marker)] + marker
        self._log_sink(text)

    def step_output(self, step_id: str) -> Any:
        """The output of an earlier step of the same job, by its `id` in the workflow file."""
        try:
            return self._step_outputs[step_id]
        except KeyError:
            known = ", ".join(sorted(self._step_outputs))
            earlier = (
                f"the earlier steps of this job are {known}"
                if known
                else "it is the first step of its job"
            )
            raise KeyError(
                f"no output of step {step_id!r} in this job ({earlier}); ctx.step_output() "
                "sees only the earlier steps of the same job"
            ) from None

    def __repr__(self) -> str:
        return (
            f"Context(action={self._action!r}, step_run_id={self._step_run_id!r}, "
            f"attempt={self._attempt})"
        )


def _unknown(attribute: str) -> RuntimeError:
    # Raised rather than None: a key built from a None step id would be the same for every step.
    return RuntimeError(
        f"ctx.{attribute} is unknown: the daemon that assigned this step is older than this "
        "worker's hatchet-cli and does not send it; upgrade hatchetd"
    )
