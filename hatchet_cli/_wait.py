"""Waiting for runs to end (part of `hatchet_cli.client` and `hatchet_cli.async_client`).

The daemon holds a `GET /api/v1/runs/{id}/wait` open until the run is final or the asked-for
seconds have passed, following its change stream (nothing is polled, on either side): one request
on the client's kept-alive connection per run, whose answer carries the final trace. A wait
longer than the daemon holds a request asks again. `Waiting` is that plan as data, so that the
blocking and the asyncio client run the same one.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, NamedTuple

from hatchet_cli import _calls

if TYPE_CHECKING:
    from hatchetd.contracts.events import Event
    from hatchetd.contracts.runs import RunTrace, WorkflowRun

HOLD_SECONDS = 30.0
"""The longest the client asks the daemon to hold one wait request (the daemon's cap is 60)."""


class RunWaitTimeout(TimeoutError):
    """Runs were not final when a wait's `timeout` passed.

    `traces` are the runs waited for as they were then (read from the daemon at that moment, in
    the order they were asked for, final ones included); `event` is the pushed event, for
    `events.push(..., wait=True)`. The runs go on: wait for them again, or cancel them.
    """

    def __init__(self, traces: list[RunTrace], timeout: float, event: Event | None = None) -> None:
        self.traces = traces
        self.timeout = timeout
        self.event = event
        going = [t.run for t in traces if not t.run.status.is_final]
        listed = ", ".join(f"{r.id} {r.workflow_name} {r.status.value}" for r in going)
        count = f"{len(traces)} run{'' if len(traces) == 1 else 's'}"
        super().__init__(f"{len(going)} of {count} not final after {timeout:g} s: {listed}")

    @property
    def runs(self) -> list[WorkflowRun]:
        """The workflow runs of `traces`."""
        return [trace.run for trace in self.traces]


class PushResult(NamedTuple):
    """What `events.push(..., wait=True)` returns: the event, and every run it started, final,
    with its job runs and step runs (each step's output included). A named tuple:
    `event, traces = client.events.push(..., wait=True)` works too."""

    event: Event
    """The event as stored (its `run_ids` name the runs)."""
    traces: list[RunTrace]
    """The runs the event started, in the order of `event.run_ids`, each final."""

    @property
    def runs(self) -> list[WorkflowRun]:
        """The workflow runs of `traces`."""
        return [trace.run for trace in self.traces]

    @property
    def succeeded(self) -> bool:
        """Whether every run succeeded (True when the event started none)."""
        return all(run.status.value == "SUCCEEDED" for run in self.runs)


def check_timeout(timeout: float | None) -> None:
    """A wait's `timeout`, checked before anything is sent."""
    if timeout is not None and timeout < 0:
        raise ValueError(f"timeout must be 0 or more seconds, not {timeout}")


class Waiting:
    """The plan of a wait for `run_ids` (ids or unique prefixes) within `timeout` seconds from
    `started` (a `time.monotonic()` value; default now): the request to send next, until the
    answer is there. Each run is waited for in turn; runs that ended meanwhile answer at once."""

    def __init__(
        self,
        run_ids: Sequence[str],
        timeout: float | None,
        *,
        started: float | None = None,
        event: Event | None = None,
    ) -> None:
        check_timeout(timeout)
        began = time.monotonic() if started is None else started
        self._deadline = None if timeout is None else began + timeout
        self._timeout = timeout
        self._event = event
        self._run_ids = list(run_ids)
        self._traces: list[RunTrace] = []
        self._late = False  # the deadline passed: the rest are only read, not waited for

    def next(self) -> _calls.Call[RunTrace] | None:
        """The request to send next; None once every run is read."""
        if len(self._traces) == len(self._run_ids):
            return None
        hold = HOLD_SECONDS
        if self._deadline is not None:
            hold = min(hold, max(0.0, self._deadline - time.monotonic()))
        return _calls.wait_run(self._run_ids[len(self._traces)], 0.0 if self._late else hold)

    def took(self, trace: RunTrace) -> None:
        """The answer to the last request."""
        final = trace.run.status.is_final
        if final or self._late or self._passed():
            self._late = self._late or not final
            self._traces.append(trace)
        # else: the daemon's hold ended first; the same run is asked for again

    def result(self) -> list[RunTrace]:
        """The final traces, in the order asked; `RunWaitTimeout` if the deadline came first."""
        if self._late:
            raise RunWaitTimeout(self._traces, self._timeout or 0.0, self._event)
        return self._traces

    def _passed(self) -> bool:
        return self._deadline is not None and time.monotonic() >= self._deadline
