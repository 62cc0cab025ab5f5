"""`client.runs`: reading, waiting for, cancelling and rerunning workflow runs (part of
`hatchet_cli.client`)."""

from __future__ import annotations

import builtins
import time
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal, overload

from hatchet_cli import _calls
from hatchet_cli._changes import follow_logs
from hatchet_cli._wait import Waiting, check_timeout

if TYPE_CHECKING:
    from hatchet_cli.client import Client
    from hatchetd.contracts.api import RunList
    from hatchetd.contracts.runs import RunTrace, StepLog, WorkflowRun


class Runs:
    """`client.runs`: read, cancel and rerun workflow runs."""

    def __init__(self, client: Client) -> None:
        self._client = client

    def list(
        self,
        *,
        workflow: str | None = None,
        statuses: Iterable[str] = (),
        event_id: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int = 50,
        cursor: str | None = None,
    ) -> RunList:
        """A page of workflow runs, newest first, narrowed by workflow, status (any of),
        triggering event and creation time; pass `next_cursor` back as `cursor`."""
        call = _calls.list_runs(
            workflow=workflow,
            statuses=statuses,
            event_id=event_id,
            since=since,
            until=until,
            limit=limit,
            cursor=cursor,
        )
        return self._client.perform(call)

    def cancel(self, run_id: str) -> RunTrace:
        """Cancel what is not final in a run (`USER_CANCELLED`); the trace afterwards."""
        return self._client.perform(_calls.cancel_run(run_id))

    def logs(self, run_id: str) -> builtins.list[StepLog]:
        """Every line the run's steps logged, in order."""
        return self._client.perform(_calls.run_logs(run_id))

    @overload
    def rerun(
        self,
        run_id: str,
        *,
        from_failed: bool = False,
        idempotency_key: str | None = None,
        wait: Literal[False] = False,
    ) -> WorkflowRun: ...

    @overload
    def rerun(
        self,
        run_id: str,
        *,
        from_failed: bool = False,
        idempotency_key: str | None = None,
        wait: Literal[True],
        timeout: float | None = None,
    ) -> RunTrace: ...

    def rerun(
        self,
        run_id: str,
        *,
        from_failed: bool = False,
        idempotency_key: str | None = None,
        wait: bool = False,
        timeout: float | None = None,
    ) -> WorkflowRun | RunTrace:
        """Start a new run of the ended run `run_id` (an id or a unique prefix): the workflow
        version it ran (even if the file has changed since), with its trigger, event and input.
        With `from_failed=True` the steps that succeeded keep their outputs and are not run
        again: each job that did not succeed starts at its first step that did not. The new
        run's `rerun_of_id` names the original; the original's trace lists it in `rerun_ids`.
        Returns the run as started (RUNNING); with `wait=True`, its final trace once it ends
        (`timeout` seconds at most, the request included; then `RunWaitTimeout`).

        An unknown run is a `HatchetError` with status 404; a run that has not ended, or
        `from_failed` on a run in which nothing failed, a 409 (`run_not_final`,
        `nothing_failed`). The request carries `idempotency_key` (a new random one unless
        given) and is retried as a push is: the same key for the same run returns the first
        rerun.
        """
        call = _calls.rerun(run_id, from_failed, idempotency_key)
        if not wait:
            if timeout is not None:
                raise TypeError("rerun(timeout=...) goes with wait=True")
            return self._client.perform(call)
        started = time.monotonic()
        check_timeout(timeout)
        run = self._client.perform(call)
        (trace,) = self._client.wait_for(Waiting([run.id], timeout, started=started))
        return trace

    def rerun_document(
        self, run_id: str, *, from_failed: bool = False, idempotency_key: str | None = None
    ) -> dict[str, Any]:
        """`rerun()`, returning the daemon's JSON document (a `WorkflowRun`) as it came."""
        return self._client.perform(_calls.rerun_document(run_id, from_failed, idempotency_key))

    def get(self, run_id: str) -> RunTrace:
        """A workflow run with its job runs and step runs."""
        return self._client.perform(_calls.get_run(run_id))

    def wait(self, run_id: str, timeout: float | None = None) -> RunTrace:
        """The run's trace once it is final (SUCCEEDED, FAILED or CANCELLED), step outputs
        included; at once if it already is.

        The daemon holds the request until the run ends, following its change stream (nothing is
        polled); a wait longer than it holds one request asks again. `timeout` is in seconds
        (None: no limit);
        when it passes first, `RunWaitTimeout` carries the run as it is then (`.traces[0]`), and
        the run goes on. An unknown id is a `HatchetError` with status 404.
        """
        (trace,) = self._client.wait_for(Waiting([run_id], timeout))
        return trace

    def wait_all(
        self, run_ids: Iterable[str], timeout: float | None = None
    ) -> builtins.list[RunTrace]:
        """`wait()` for several runs within one `timeout`: their final traces, in the order
        given. On timeout `RunWaitTimeout.traces` holds every one of them as it is then."""
        if isinstance(run_ids, str):
            raise TypeError("wait_all() takes a list of run ids; wait() takes one")
        return self._client.wait_for(Waiting(builtins.list(run_ids), timeout))

    def follow_logs(self, run_id: str) -> Iterator[StepLog]:
        """Every line the run's steps logged so far, then each line as it is logged, until the
        run is final (then the iteration ends). Blocks between lines; follows the change
        stream, reading everything again if it cut this reader off. An unknown id is a
        `HatchetError` with status 404."""
        return follow_logs(self._client, run_id)
