"""Waiting for runs to end, on the change stream (part of `hatchet_cli.client`).

A wait subscribes to the changes of its runs, and only once the daemon has accepted the
subscription reads the runs: a run that ended before is seen final then, one that ends later
sends the change that says so. Nothing is polled; each run is read once more when it is final,
for its step outputs.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, NamedTuple

from hatchet_cli._changes import ChangesLost, StreamDeadline, is_final, read_changes
from hatchet_cli._http import DaemonUnreachable

if TYPE_CHECKING:
    from hatchet_cli.client import Client
    from hatchetd.contracts.events import Event
    from hatchetd.contracts.runs import RunTrace, WorkflowRun


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


def wait_for_runs(
    client: Client,
    run_ids: Sequence[str],
    timeout: float | None,
    *,
    started: float | None = None,
    event: Event | None = None,
) -> list[RunTrace]:
    """The traces of `run_ids` (ids or unique prefixes), in that order, once every run is final.

    `RunWaitTimeout` (naming `event`) if `timeout` seconds pass first, counted from `started` (a
    `time.monotonic()` value; default now)."""
    if timeout is not None and timeout < 0:
        raise ValueError(f"timeout must be 0 or more seconds, not {timeout}")
    began = time.monotonic() if started is None else started
    deadline = None if timeout is None else began + timeout
    full_id: dict[str, str] = {}  # an id or prefix asked for -> the run's id, once read
    final: dict[str, RunTrace] = {}  # by the run's id
    while any(full_id.get(run_id) not in final for run_id in run_ids):
        follow = [full_id.get(run_id, run_id) for run_id in dict.fromkeys(run_ids)]
        changes = read_changes(client._http, kinds=("run",), run_ids=follow, deadline=deadline)
        try:
            for change in changes:
                if change is None:  # subscribed: what ended before shows now, later ones will come
                    for run_id in run_ids:
                        if full_id.get(run_id) not in final:
                            trace = client.runs.get(run_id)
                            full_id[run_id] = trace.run.id
                            if trace.run.status.is_final:
                                final[trace.run.id] = trace
                elif change.run_id is not None and is_final(change.status):
                    final[change.run_id] = client.runs.get(change.run_id)
                if all(full_id.get(run_id) in final for run_id in run_ids):
                    break
            else:
                raise DaemonUnreachable(client.address, "the daemon shut down during the wait")
        except ChangesLost:
            continue  # subscribe again, and read again what is not final yet
        except StreamDeadline:
            now = [final.get(full_id.get(r, r)) or client.runs.get(r) for r in run_ids]
            if all(trace.run.status.is_final for trace in now):
                return now
            raise RunWaitTimeout(now, timeout or 0.0, event) from None
        finally:
            changes.close()  # unsubscribes: the stream's connection closes
    return [final[full_id[run_id]] for run_id in run_ids]
