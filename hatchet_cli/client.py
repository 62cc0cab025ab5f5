"""The daemon's HTTP API as Python calls: the one module that knows its URLs.

```python
from hatchet_cli import Client

with Client() as client:                       # $HATCHET_ADDRESS, else http://127.0.0.1:7070
    event = client.events.push("user:create", {"username": "ada"})
    trace = client.runs.wait(event.run_ids[0], timeout=30)   # final, with step outputs
```

Every call returns a `hatchetd.contracts` model or raises `HatchetError` (the daemon answered with
an error) or `DaemonUnreachable` (it did not answer at all; `DaemonNotAnswering`, a kind of it,
when it took the connection but sent no answer in time); a wait that runs out of time raises
`RunWaitTimeout`.
"""

from __future__ import annotations

import builtins
import time
from collections.abc import Callable, Iterable, Iterator
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal, TypeVar, overload

from hatchet_cli import _calls
from hatchet_cli._calls import DEFAULT_ADDRESS
from hatchet_cli._changes import ChangesLost, read_changes
from hatchet_cli._client_events import Events
from hatchet_cli._client_runs import Runs
from hatchet_cli._http import (
    DaemonNotAnswering,
    DaemonUnreachable,
    HatchetError,
    Transport,
)
from hatchet_cli._retry import DEFAULT_RETRY_FOR
from hatchet_cli._wait import PushResult, RunWaitTimeout, Waiting, check_timeout

# The models are imported when a call needs them, not with this module: a CLI command that only
# passes the daemon's JSON on (`hatchet events push -o id`) starts without loading pydantic.
if TYPE_CHECKING:
    from hatchetd.contracts.api import (
        DaemonStatus,
        WorkerInfo,
        WorkflowDetail,
        WorkflowInfo,
        WorkflowList,
    )
    from hatchetd.contracts.changes import Change
    from hatchetd.contracts.runs import RunTrace, WorkflowRun
    from hatchetd.contracts.workflows import WorkflowVersion

__all__ = [
    "DEFAULT_ADDRESS",
    "ChangesLost",
    "Client",
    "DaemonNotAnswering",
    "DaemonUnreachable",
    "HatchetError",
    "PushResult",
    "RunWaitTimeout",
]

T = TypeVar("T")


class Client:
    """A synchronous client of one daemon.

    `address` defaults to `$HATCHET_ADDRESS`, else `http://127.0.0.1:7070`; `token` to
    `$HATCHET_TOKEN` (sent as `Authorization: Bearer ...`). `timeout` is how many seconds a
    request waits for its answer. Requests go over one keep-alive connection; close it with
    `close()` or use the client as a context manager. One client is for one thread at a time.

    A push (`events.push`) and a start by hand (`workflows.run`) carry an idempotency key — one
    made up for it unless you give one — and are sent again with the same key after a 503, a
    timeout or a broken connection, until `retry_for` seconds have passed since it was first
    sent (0: send it once). A connection refused at the first attempt is not retried:
    `DaemonUnreachable` at once.
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
        """Seconds a push or a start by hand is retried for (see above)."""
        self._http = Transport(self.address, token=self.token, timeout=timeout)
        self.events = Events(self)
        """Push and read events."""
        self.runs = Runs(self)
        """Read and cancel workflow runs."""
        self.workers = Workers(self)
        """See connected workers."""
        self.workflows = Workflows(self)
        """See the workflows the daemon loaded, their versions and errors; start them by hand."""

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Client({self.address!r})"

    def status(self) -> DaemonStatus:
        """The daemon's version, address, store, folder, start time, workers and queue depth."""
        return self.perform(_calls.status())

    def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: dict[str, Any] | None = None,
        retry_for: float | None = None,
    ) -> Any:
        """Send one request to the API; the decoded JSON of a successful answer.

        `params` become the query string; `None` values are left out, lists repeat the name.
        `retry_for` retries the request as a push is (see the class), for requests that are
        safe to send twice.
        """
        return self._http.request(method, path, json=json, params=params, retry_for=retry_for)

    def perform(self, call: _calls.Call[T]) -> T:
        """Send a call (`_calls.py`) and read its answer; a push is retried within `retry_for`
        and, when no answer came, `DaemonNotAnswering` names its idempotency key."""
        retry_for = self.retry_for if call.idempotency_key is not None else None
        try:
            answer = self._http.request(
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

    def wait_for(self, waiting: Waiting) -> builtins.list[RunTrace]:
        """Carry out a wait's plan (`_wait.py`): its final traces, or `RunWaitTimeout`."""
        while (call := waiting.next()) is not None:
            waiting.took(self.perform(call))
        return waiting.result()

    def changes(
        self,
        *,
        kinds: Iterable[str] = (),
        run_id: str | None = None,
        on_open: Callable[[], None] | None = None,
    ) -> Iterator[Change]:
        """Every write the daemon commits from now on, as `Change` models, as it commits them
        (`GET /api/v1/changes`); blocks between changes. Filter by `kinds` (`ChangeKind` values:
        `event`, `run`, `job_run`, `step_run`, `step_log`, `worker`, `workflow`) and by `run_id`
        (a unique prefix will do: the run, its job and step runs and its log lines).

        Ends when the daemon shuts down; raises `ChangesLost` when this reader fell behind (read
        the state again, then subscribe again), `HatchetError` when the daemon refused the
        subscription (an unknown run: 404) and `DaemonUnreachable` when the daemon went away.
        `on_open()` is called once the daemon has accepted the subscription: changes committed
        after that are not missed (read the state then, not before).

        The stream has a connection of its own; `close()` ends it, even from another thread.
        """
        run_ids = () if run_id is None else (run_id,)
        for change in read_changes(self._http, kinds=kinds, run_ids=run_ids):
            if change is not None:
                yield change
            elif on_open is not None:
                on_open()


class Workers:
    """`client.workers`: the workers the daemon knows."""

    def __init__(self, client: Client) -> None:
        self._client = client

    def list(self) -> list[WorkerInfo]:
        """Every worker, newest registration first, with the step runs it holds."""
        return self._client.perform(_calls.list_workers())


class Workflows:
    """`client.workflows`: the workflows the daemon loaded from its folder; start them by hand."""

    RECENT_RUNS = 10
    """How many runs `show()` includes."""

    def __init__(self, client: Client) -> None:
        self._client = client

    def list(self) -> WorkflowList:
        """Every workflow ever loaded (active or not, with its reload errors) and every file that
        does not load now."""
        return self._client.perform(_calls.list_workflows())

    def get(self, name: str) -> WorkflowInfo:
        """One workflow by name."""
        return self._client.perform(_calls.get_workflow(name))

    def versions(self, name: str) -> builtins.list[WorkflowVersion]:
        """Every version of a workflow, oldest first, each with its definition."""
        return self._client.perform(_calls.workflow_versions(name))

    def show(self, name: str) -> WorkflowDetail:
        """A workflow with its current definition, every version and its latest runs.

        Three requests: the daemon serves the parts separately, and the workflow is asked for
        first so that an unknown name fails (404) before anything else is fetched.
        """
        workflow = self.get(name)
        versions = self.versions(name)
        runs = self._client.runs.list(workflow=name, limit=self.RECENT_RUNS)
        return _calls.workflow_detail(workflow, versions, runs)

    @overload
    def run(
        self,
        name: str,
        input: dict[str, Any] | None = None,
        *,
        idempotency_key: str | None = None,
        wait: Literal[False] = False,
    ) -> WorkflowRun: ...

    @overload
    def run(
        self,
        name: str,
        input: dict[str, Any] | None = None,
        *,
        idempotency_key: str | None = None,
        wait: Literal[True],
        timeout: float | None = None,
    ) -> RunTrace: ...

    def run(
        self,
        name: str,
        input: dict[str, Any] | None = None,
        *,
        idempotency_key: str | None = None,
        wait: bool = False,
        timeout: float | None = None,
    ) -> WorkflowRun | RunTrace:
        """Start a run of workflow `name` by hand, whatever its triggers (a workflow without
        triggers runs only this way), with `input` (default `{}`): its templates read it as they
        read an event's payload, as `input` and by its top-level keys. Returns the run as
        started (RUNNING); with `wait=True`, its final trace once it ends (`timeout` seconds at
        most, the start included; then `RunWaitTimeout`, as `runs.wait`).

        An unknown workflow is a `HatchetError` with status 404, one whose file was deleted a
        409 (`workflow_inactive`), an input the daemon cannot store a 422 or 413. The start
        carries `idempotency_key` (a new random one unless given) and is retried as a push is
        (see `Client`): starting the same workflow with the same key and input again returns
        the first run; with other input it is a 409.
        """
        if not wait:
            if timeout is not None:
                raise TypeError("run(timeout=...) goes with wait=True")
            return self._client.perform(_calls.run_workflow(name, input, idempotency_key))
        started = time.monotonic()
        check_timeout(timeout)
        run = self._client.perform(_calls.run_workflow(name, input, idempotency_key))
        (trace,) = self._client.wait_for(Waiting([run.id], timeout, started=started))
        return trace

    def run_document(
        self,
        name: str,
        input: dict[str, Any] | None = None,
        *,
        idempotency_key: str | None = None,
    ) -> dict[str, Any]:
        """`run()`, returning the daemon's JSON document (a `WorkflowRun`) as it came, unparsed:
        for callers that only pass it on, so they need not load the models."""
        return self._client.perform(_calls.run_document(name, input, idempotency_key))
