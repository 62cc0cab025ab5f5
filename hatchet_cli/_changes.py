"""The daemon's change stream (`GET /api/v1/changes`, Server-Sent Events) read as `Change`
models, and a run's log lines followed on it (part of `hatchet_cli.client`)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Generator, Iterable, Iterator
from http.client import HTTPConnection, HTTPException, HTTPSConnection
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from hatchet_cli._http import DaemonUnreachable, HatchetError, Transport

if TYPE_CHECKING:
    from hatchet_cli.client import Client
    from hatchetd.contracts.changes import Change
    from hatchetd.contracts.runs import StepLog

PATH = "/api/v1/changes"


class ChangesLost(Exception):
    """A change stream's reader fell so far behind that the daemon cut it off."""

    def __init__(self, address: str) -> None:
        self.address = address
        super().__init__(f"the change stream of {address} cut this reader off: it fell behind")


def read_changes(
    transport: Transport,
    *,
    kinds: Iterable[str] = (),
    run_ids: Iterable[str] = (),
) -> Generator[Change | None, None, None]:
    """None once the daemon has accepted the subscription (what it commits from then on will
    come), then each change as it is committed; returns when the daemon ends the stream (it is
    shutting down). Raises `ChangesLost` when the daemon cut this reader off, `HatchetError` when
    it refused the subscription (an unknown run: 404), and `DaemonUnreachable` when it went away."""
    from hatchetd.contracts.changes import Change

    params = {"kind": list(kinds) or None, "run_id": list(run_ids) or None}
    for name, data in stream_events(transport, PATH, params):
        if name == "change":
            yield Change.model_validate_json(data)
        elif name == "open":
            yield None
        elif name == "lagged":
            raise ChangesLost(transport.address)
        elif name == "end":
            return


def follow_logs(client: Client, run_id: str) -> Iterator[StepLog]:
    """Every line the run's steps logged so far, then each line as it is logged, until the run
    is final: each line once, in the order each step run logged them."""
    from hatchetd.contracts.runs import RunStepLog, StepLog

    # How many lines of each step run were yielded: a step run's lines only ever grow at its end,
    # so a reread (after the stream cut this reader off) yields each step run's lines past these.
    printed: dict[str, int] = {}
    while True:
        # The lines read just after subscribing, which the stream brings again if they were
        # committed between the subscription and the read; by step run. Lines carry no id: a
        # line is known by its time and text, and once the stream brings a line of a step run
        # that the read did not have, the rest of that step run's lines are all new.
        overlap: dict[str, Counter[tuple[object, str]]] = {}
        changes = read_changes(client._http, kinds=("run", "step_log"), run_ids=[run_id])
        try:
            for change in changes:
                if change is None:
                    # The state first, then the lines: once the run reads final, no line can
                    # follow the lines read after it.
                    trace = client.runs.get(run_id)
                    run_id = trace.run.id  # a prefix unique now may not stay so
                    counts: dict[str, int] = {}
                    for line in client.runs.logs(run_id):
                        index = counts[line.step_run_id] = counts.get(line.step_run_id, 0) + 1
                        overlap.setdefault(line.step_run_id, Counter())[line.at, line.line] += 1
                        if index > printed.get(line.step_run_id, 0):
                            printed[line.step_run_id] = index
                            yield line
                    if trace.run.status.is_final:
                        return
                elif change.kind == "step_log":
                    logged = RunStepLog.model_validate(change.record)
                    seen = overlap.get(logged.step_run_id)
                    if seen is not None and seen[logged.at, logged.line] > 0:
                        seen[logged.at, logged.line] -= 1
                        continue
                    overlap.pop(logged.step_run_id, None)
                    printed[logged.step_run_id] = printed.get(logged.step_run_id, 0) + 1
                    yield StepLog(step_run_id=logged.step_run_id, at=logged.at, line=logged.line)
                elif change.kind == "run" and is_final(change.status):
                    return
        except ChangesLost:
            continue  # subscribe again: the reread yields what the stream skipped
        finally:
            changes.close()  # unsubscribes, also when the caller stops following
        raise DaemonUnreachable(client.address, "the daemon shut down")


def is_final(status: str | None) -> bool:
    """Whether a `run` change's status is a final one."""
    from hatchetd.contracts.enums import RunStatus

    return status is not None and RunStatus(status).is_final


def stream_events(
    transport: Transport,
    path: str,
    params: dict[str, Any] | None = None,
    *,
    idle: float = 30.0,
) -> Iterator[tuple[str, str]]:
    """Read a Server-Sent Events stream: ("open", "") once the server accepted it, then (event
    name, data) for each event, until the server ends it. Uses a connection of its own, which
    `transport.close()` also closes; `idle` seconds without a byte (the daemon sends a comment
    every 10) mean the daemon is gone: `DaemonUnreachable`."""
    parts = urlsplit(transport.address)
    connection_class = HTTPSConnection if parts.scheme == "https" else HTTPConnection
    connection = connection_class(parts.hostname or "", parts.port, timeout=idle)
    transport.streams.add(connection)
    target = transport.target(path, params)
    headers = {**transport.headers, "Accept": "text/event-stream"}
    try:
        connection.request("GET", target, headers=headers)
        response = connection.getresponse()
        if response.status >= 400:
            body = response.read()
            raise HatchetError.from_response(
                response.status, body, response.reason, address=transport.address
            )
        yield "open", ""  # subscribed: what is committed from now on will come
        name, data = "message", list[str]()
        while line := response.readline():
            text = line.decode().rstrip("\r\n")
            if not text:  # a blank line ends an event
                if data:
                    yield name, "\n".join(data)
                name, data = "message", []
            elif text.startswith("event:"):
                name = text[6:].strip()
            elif text.startswith("data:"):
                data.append(text[5:].lstrip())
    except Exception as exc:
        if connection not in transport.streams:
            # `close()` ended it from another thread, mid-read: whatever http.client raised
            # then (a short chunk, a vanished file) is the end of the stream, not a failure.
            return
        if isinstance(exc, TimeoutError):
            raise DaemonUnreachable(transport.address, f"silent for {idle:g} s") from None
        if isinstance(exc, OSError | HTTPException):
            raise DaemonUnreachable(transport.address, str(exc) or type(exc).__name__) from None
        raise
    finally:
        transport.streams.discard(connection)
        connection.close()
