"""Reading the daemon's change stream as `Change` models, and following a run's log lines on it
(part of `hatchet_cli.client`)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

from hatchet_cli._http import ChangesLost, DaemonUnreachable, Transport, stream_events

if TYPE_CHECKING:
    from hatchet_cli.client import Client
    from hatchetd.contracts.changes import Change
    from hatchetd.contracts.runs import StepLog

PATH = "/api/v1/changes"


def read_changes(
    transport: Transport,
    *,
    kinds: Iterable[str] = (),
    run_ids: Iterable[str] = (),
    deadline: float | None = None,
) -> Iterator[Change | None]:
    """None once the daemon has accepted the subscription (what it commits from then on will
    come), then each change as it is committed; returns when the daemon ends the stream (it is
    shutting down). Raises `ChangesLost` when the daemon cut this reader off, `HatchetError` when
    it refused the subscription (an unknown run: 404), `DaemonUnreachable` when it went away, and
    `StreamDeadline` when `deadline` (a `time.monotonic()` value) passed while waiting."""
    from hatchetd.contracts.changes import Change

    params = {"kind": list(kinds) or None, "run_id": list(run_ids) or None}
    for name, data in stream_events(transport, PATH, params, deadline=deadline):
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
        try:
            for change in read_changes(client._http, kinds=("run", "step_log"), run_ids=[run_id]):
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
        raise DaemonUnreachable(client.address, "the daemon shut down")


def is_final(status: str | None) -> bool:
    """Whether a `run` change's status is a final one."""
    from hatchetd.contracts.enums import RunStatus

    return status is not None and RunStatus(status).is_final
