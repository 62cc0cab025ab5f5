"""The daemon's HTTP API for asyncio applications: `Client`'s surface, every call awaited.

```python
from hatchet_cli import AsyncClient

async with AsyncClient() as client:           # $HATCHET_ADDRESS, else http://127.0.0.1:7070
    event = await client.events.push("user:create", {"username": "ada"})
    trace = await client.runs.wait(event.run_ids[0], timeout=30)
    async for change in client.changes(run_id=trace.run.id):
        ...
```

Built on httpx: one client keeps a pool of connections and may be shared by the tasks of one
event loop. Every call returns the same `hatchetd.contracts` model as `Client`'s and raises the
same errors (`HatchetError`, `DaemonUnreachable`, `DaemonNotAnswering`, `ChangesLost`,
`RunWaitTimeout`). What each call sends and reads is shared with `Client` (`_calls.py`).
"""

from __future__ import annotations

import builtins
import time
from collections.abc import AsyncIterator, Callable, Iterable
from datetime import datetime
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal, TypeVar, overload

from hatchet_cli import _calls
from hatchet_cli._async_events import AsyncEvents
from hatchet_cli._async_http import AsyncTransport
from hatchet_cli._changes import ChangesLost
from hatchet_cli._http import DaemonNotAnswering
from hatchet_cli._retry import DEFAULT_RETRY_FOR
from hatchet_cli._wait import Waiting, check_timeout

if TYPE_CHECKING:
    from hatchetd.contracts.api import (
        DaemonStatus,
        RunList,
        WorkerInfo,
        WorkflowDetail,
        WorkflowInfo,
        WorkflowList,
    )
    from hatchetd.contracts.changes import Change
    from hatchetd.contracts.runs import RunTrace, StepLog, WorkflowRun
    from hatchetd.contracts.workflows import WorkflowVersion

__all__ = ["AsyncClient"]

T = TypeVar("T")


class AsyncClient:
    """An asyncio client of one daemon; `Client`'s arguments and surface, each call awaited.

    Close it with `await client.aclose()` or use it as `async with AsyncClient() as client:`.
    """

    def __init__(
        self,
        address: str | None = None,
        token: str | None = None,
        timeout: float = 10.0,
        *,
        retry_for: float = DEFAULT_RETRY_FOR,
    ) -> None:
        self.address, self.token = _calls.client_settings(address, token, timeout, retry_for)
        self.retry_for = retry_for
        """Seconds a push is retried for (see `Client`)."""
        self._http = AsyncTransport(self.address, token=self.token, timeout=timeout)
        self.events = AsyncEvents(self)
        """Push and read events."""
        self.runs = AsyncRuns(self)
        """Read, wait for and cancel workflow runs."""
        self.workers = AsyncWorkers(self)
        """See connected workers."""
        self.workflows = AsyncWorkflows(self)
        """See the loaded workflows; start one by hand."""

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    def __repr__(self) -> str:
        return f"AsyncClient({self.address!r})"

    async def status(self) -> DaemonStatus:
        """The daemon's version, address, store, folder, start time, workers and queue depth."""
        return await self.perform(_calls.status())

    async def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: dict[str, Any] | None = None,
        retry_for: float | None = None,
    ) -> Any:
        """Send one request to the API; the decoded JSON of a successful answer (see
        `Client.request`)."""
        return await self._http.request(method, path, json=json, params=params, retry_for=retry_for)

    async def perform(self, call: _calls.Call[T]) -> T:
        """Send a call and read its answer; a push is retried within `retry_for`."""
        retry_for = self.retry_for if call.idempotency_key is not None else None
        try:
            answer = await self._http.request(
                call.method,
                call.path,
                json=call.json,
                params=call.params,
                retry_for=retry_for,
                hold=call.hold,
            )
        except DaemonNotAnswering as exc:
            if call.idempotency_key is None:
                raise
            raise exc.with_key(call.idempotency_key, request=call.kind) from None
        return call.read(answer)

    async def wait_for(self, waiting: Waiting) -> builtins.list[RunTrace]:
        """Carry out a wait's plan (`_wait.py`): its final traces, or `RunWaitTimeout`."""
        while (call := waiting.next()) is not None:
            waiting.took(await self.perform(call))
        return waiting.result()

    async def changes(
        self,
        *,
        kinds: Iterable[str] = (),
        run_id: str | None = None,
        on_open: Callable[[], object] | None = None,
    ) -> AsyncIterator[Change]:
        """Every write the daemon commits from now on, as `Change` models, as it commits them
        (see `Client.changes`): `on_open()` is called once the daemon has accepted the
        subscription; changes committed after that are not missed. Ends when the daemon shuts
        down; `ChangesLost` when this reader fell behind."""
        from hatchetd.contracts.changes import Change

        params = {"kind": list(kinds) or None, "run_id": run_id}
        async for name, data in self._http.stream("/api/v1/changes", params):
            if name == "open":
                if on_open is not None:
                    on_open()
            elif name == "change":
                yield Change.model_validate_json(data)
            elif name == "lagged":
                raise ChangesLost(self.address)
            elif name == "end":
                return


class AsyncRuns:
    """`client.runs`: read, wait for and cancel workflow runs (see `Client.runs`)."""

    def __init__(self, client: AsyncClient) -> None:
        self._client = client

    async def list(
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
        """A page of workflow runs, newest first."""
        call = _calls.list_runs(
            workflow=workflow,
            statuses=statuses,
            event_id=event_id,
            since=since,
            until=until,
            limit=limit,
            cursor=cursor,
        )
        return await self._client.perform(call)

    async def get(self, run_id: str) -> RunTrace:
        """A workflow run with its job runs and step runs."""
        return await self._client.perform(_calls.get_run(run_id))

    async def cancel(self, run_id: str) -> RunTrace:
        """Cancel what is not final in a run (`USER_CANCELLED`); the trace afterwards."""
        return await self._client.perform(_calls.cancel_run(run_id))

    async def logs(self, run_id: str) -> builtins.list[StepLog]:
        """Every line the run's steps logged, in order."""
        return await self._client.perform(_calls.run_logs(run_id))

    @overload
    async def rerun(
        self,
        run_id: str,
        *,
        from_failed: bool = False,
        idempotency_key: str | None = None,
        wait: Literal[False] = False,
    ) -> WorkflowRun: ...

    @overload
    async def rerun(
        self,
        run_id: str,
        *,
        from_failed: bool = False,
        idempotency_key: str | None = None,
        wait: Literal[True],
        timeout: float | None = None,
    ) -> RunTrace: ...

    async def rerun(
        self,
        run_id: str,
        *,
        from_failed: bool = False,
        idempotency_key: str | None = None,
        wait: bool = False,
        timeout: float | None = None,
    ) -> WorkflowRun | RunTrace:
        """Start a new run of an ended run, whole or `from_failed`; the run as started, or with
        `wait=True` its final trace (see `Client.runs.rerun`)."""
        call = _calls.rerun(run_id, from_failed, idempotency_key)
        if not wait:
            if timeout is not None:
                raise TypeError("rerun(timeout=...) goes with wait=True")
            return await self._client.perform(call)
        started = time.monotonic()
        check_timeout(timeout)
        run = await self._client.perform(call)
        (trace,) = await self._client.wait_for(Waiting([run.id], timeout, started=started))
        return trace

    async def wait(self, run_id: str, timeout: float | None = None) -> RunTrace:
        """The run's trace once it is final, step outputs included (see `Client.runs.wait`);
        `RunWaitTimeout` when `timeout` seconds pass first."""
        (trace,) = await self._client.wait_for(Waiting([run_id], timeout))
        return trace

    async def wait_all(
        self, run_ids: Iterable[str], timeout: float | None = None
    ) -> builtins.list[RunTrace]:
        """`wait()` for several runs within one `timeout`: their final traces, in order."""
        if isinstance(run_ids, str):
            raise TypeError("wait_all() takes a list of run ids; wait() takes one")
        return await self._client.wait_for(Waiting(builtins.list(run_ids), timeout))


class AsyncWorkers:
    """`client.workers`: the workers the daemon knows."""

    def __init__(self, client: AsyncClient) -> None:
        self._client = client

    async def list(self) -> list[WorkerInfo]:
        """Every worker, newest registration first, with the step runs it holds."""
        return await self._client.perform(_calls.list_workers())


class AsyncWorkflows:
    """`client.workflows`: the loaded workflows; start one by hand (see `Client.workflows`)."""

    RECENT_RUNS = 10

    def __init__(self, client: AsyncClient) -> None:
        self._client = client

    async def list(self) -> WorkflowList:
        """Every workflow ever loaded, and every file that does not load now."""
        return await self._client.perform(_calls.list_workflows())

    async def get(self, name: str) -> WorkflowInfo:
        """One workflow by name."""
        return await self._client.perform(_calls.get_workflow(name))

    async def versions(self, name: str) -> builtins.list[WorkflowVersion]:
        """Every version of a workflow, oldest first, each with its definition."""
        return await self._client.perform(_calls.workflow_versions(name))

    async def show(self, name: str) -> WorkflowDetail:
        """A workflow with its current definition, every version and its latest runs."""
        workflow = await self.get(name)
        versions = await self.versions(name)
        runs = await self._client.runs.list(workflow=name, limit=self.RECENT_RUNS)
        return _calls.workflow_detail(workflow, versions, runs)

    @overload
    async def run(
        self,
        name: str,
        input: dict[str, Any] | None = None,
        *,
        idempotency_key: str | None = None,
        wait: Literal[False] = False,
    ) -> WorkflowRun: ...

    @overload
    async def run(
        self,
        name: str,
        input: dict[str, Any] | None = None,
        *,
        idempotency_key: str | None = None,
        wait: Literal[True],
        timeout: float | None = None,
    ) -> RunTrace: ...

    async def run(
        self,
        name: str,
        input: dict[str, Any] | None = None,
        *,
        idempotency_key: str | None = None,
        wait: bool = False,
        timeout: float | None = None,
    ) -> WorkflowRun | RunTrace:
        """Start a run of workflow `name` by hand with `input`; the run as started, or with
        `wait=True` its final trace (see `Client.workflows.run`)."""
        if not wait:
            if timeout is not None:
                raise TypeError("run(timeout=...) goes with wait=True")
            return await self._client.perform(_calls.run_workflow(name, input, idempotency_key))
        started = time.monotonic()
        check_timeout(timeout)
        run = await self._client.perform(_calls.run_workflow(name, input, idempotency_key))
        (trace,) = await self._client.wait_for(Waiting([run.id], timeout, started=started))
        return trace
