"""`client.runs.wait`, `client.events.push(..., wait=True)` and `client.runs.follow_logs`: an
application waits for its runs and follows their logs on the change stream, against the real
daemon (served in this process) and a real SDK worker in a thread."""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from hatchet_cli import Client, Context, HatchetError, PushResult, RunWaitTimeout
from hatchet_cli.sdk import Worker
from hatchetd.contracts.changes import Change, ChangeKind
from hatchetd.contracts.enums import RunStatus, StepRunStatus
from hatchetd.contracts.runs import RunStepLog, RunTrace
from tests.live import SIGN_UP_ACTIONS, run_worker, serve_daemon

CHAIN = """\
name: chain
triggers:
  events: [chain:go, user:create]
jobs:
  chain:
    steps:
      - id: first
        action: chain:first
        with: {name: "{{ .input.user.firstName }}"}
      - id: second
        action: chain:second
        with: {greeting: "{{ .steps.first.greeting }}"}
"""
ADA = {"user": {"firstName": "Ada", "email": "ada@example.com"}}
S = StepRunStatus
DEADLINE = 20.0
"""Seconds any one wait of these tests may take before the test fails."""


class Actions:
    """The chain's two actions and the sign-up workflow's three; `first` logs a line, waits for
    `gate` (open unless a test closes it), logs another and greets; `second` shouts."""

    def __init__(self) -> None:
        self.gate = threading.Event()
        self.gate.set()

    def __call__(self, input: Any, ctx: Context) -> Any:
        if ctx.action == "chain:first":
            ctx.log("one")
            assert self.gate.wait(DEADLINE), "the test never opened the gate"
            ctx.log("two")
            return {"greeting": f"hello {input['name']}"}
        if ctx.action == "chain:second":
            ctx.log("three")
            return {"shout": input["greeting"].upper()}
        return input


@pytest.fixture
def address(tmp_path: Path) -> Iterator[str]:
    chain = tmp_path / "chain.yaml"
    chain.write_text(CHAIN)
    with serve_daemon(tmp_path, workflows=[chain]) as served:
        yield served


@pytest.fixture
def actions() -> Actions:
    return Actions()


@pytest.fixture
def worker(address: str, actions: Actions) -> Iterator[Worker]:
    served = ("chain:first", "chain:second", *SIGN_UP_ACTIONS)
    with run_worker(address, actions, actions=served, name="wait-test-worker") as running:
        yield running


@pytest.fixture
def client(address: str) -> Iterator[Client]:
    with Client(address) as c:
        yield c


def outputs(trace: RunTrace) -> dict[str, Any]:
    return {step.step_id: step.output for job in trace.jobs for step in job.step_runs}


def test_wait_returns_the_final_trace_with_every_steps_output(
    client: Client, worker: Worker
) -> None:
    event = client.events.push("chain:go", ADA)

    trace = client.runs.wait(event.run_ids[0], timeout=DEADLINE)

    assert trace.run.status is RunStatus.SUCCEEDED
    assert outputs(trace) == {"first": {"greeting": "hello Ada"}, "second": {"shout": "HELLO ADA"}}
    assert trace == client.runs.get(trace.run.id)


def test_a_finished_run_is_returned_at_once(client: Client, worker: Worker) -> None:
    run_id = client.events.push("chain:go", ADA).run_ids[0]
    done = client.runs.wait(run_id, timeout=DEADLINE)

    # A timeout of 0 gives no time to wait: only a run already final comes back.
    assert client.runs.wait(run_id, timeout=0) == done
    assert client.runs.wait(run_id[:8], timeout=0) == done  # a unique prefix will do


def test_a_wait_that_times_out_carries_the_run_as_it_is(client: Client) -> None:
    # No worker serves the chain: its first step waits for one, the run stays RUNNING.
    run_id = client.events.push("chain:go", ADA).run_ids[0]
    started = time.monotonic()

    with pytest.raises(RunWaitTimeout) as raised:
        client.runs.wait(run_id, timeout=0.3)

    assert time.monotonic() - started < 5  # not the stream's 30 s idle limit
    (trace,) = raised.value.traces
    assert trace.run.id == run_id
    assert trace.run.status is RunStatus.RUNNING
    assert [s.status for j in trace.jobs for s in j.step_runs] == [S.PENDING_ASSIGNMENT, S.PENDING]
    assert raised.value.runs == [trace.run]
    assert raised.value.event is None
    assert str(raised.value) == f"1 of 1 run not final after 0.3 s: {run_id} chain RUNNING"
    assert isinstance(raised.value, TimeoutError)


def test_waiting_for_an_unknown_run_is_the_daemons_not_found(client: Client) -> None:
    with pytest.raises(HatchetError) as raised:
        client.runs.wait("0123abcd-0000-4000-8000-000000000000", timeout=5)
    assert (raised.value.status, raised.value.code) == (404, "not_found")


def test_push_and_wait_returns_the_event_beside_every_run_it_started(
    client: Client, worker: Worker
) -> None:
    result = client.events.push("user:create", ADA, wait=True, timeout=DEADLINE)

    assert isinstance(result, PushResult)
    event, traces = result
    assert [t.run.id for t in traces] == event.run_ids
    assert sorted(t.run.workflow_name for t in traces) == ["chain", "post-user-sign-up"]
    assert result.succeeded
    assert {run.status for run in result.runs} == {RunStatus.SUCCEEDED}
    (chain,) = [t for t in traces if t.run.workflow_name == "chain"]
    assert outputs(chain)["second"] == {"shout": "HELLO ADA"}


def test_push_and_wait_that_times_out_carries_the_event_and_its_runs(client: Client) -> None:
    with pytest.raises(RunWaitTimeout) as raised:
        client.events.push("user:create", ADA, wait=True, timeout=0.3)

    event = raised.value.event
    assert event is not None
    assert event.key == "user:create"
    assert [t.run.id for t in raised.value.traces] == event.run_ids
    assert {run.status for run in raised.value.runs} == {RunStatus.RUNNING}
    assert str(raised.value).startswith("2 of 2 runs not final after 0.3 s: ")


def test_a_timeout_goes_with_wait(client: Client) -> None:
    with pytest.raises(TypeError, match="wait=True"):
        client.events.push("chain:go", ADA, timeout=1)  # type: ignore[call-overload]
    assert client.events.list().items == []  # nothing was pushed


def test_log_lines_are_on_the_change_stream(
    client: Client, worker: Worker, actions: Actions
) -> None:
    actions.gate.clear()  # `first` logs "two" only once the stream is open
    run_id = client.events.push("chain:go", ADA).run_ids[0]
    received: queue.Queue[Change] = queue.Queue()

    reader = Client(client.address)

    def read() -> None:
        for change in reader.changes(kinds=["step_log"], run_id=run_id, on_open=actions.gate.set):
            received.put(change)

    thread = threading.Thread(target=read, daemon=True)
    thread.start()
    lines: list[Change] = []
    try:
        while not lines or lines[-1].record["line"] != "three":
            lines.append(received.get(timeout=DEADLINE))
    finally:
        reader.close()  # ends the stream under the reading thread
        thread.join(DEADLINE)

    assert {(c.kind, c.run_id) for c in lines} == {(ChangeKind.STEP_LOG, run_id)}
    logged = [c.record_model() for c in lines]
    assert all(isinstance(line, RunStepLog) for line in logged)
    # "one" may come before the stream opened; "two" and "three" come after, in order.
    texts = [line.line for line in logged if isinstance(line, RunStepLog)]
    assert texts in (["one", "two", "three"], ["two", "three"])
    steps = {s.id: s.step_id for j in client.runs.get(run_id).jobs for s in j.step_runs}
    assert [steps[c.id] for c in lines[-2:]] == ["first", "second"]


def test_follow_logs_reads_the_logs_once_then_follows_the_stream(
    client: Client, worker: Worker, actions: Actions, monkeypatch: pytest.MonkeyPatch
) -> None:
    actions.gate.clear()
    run_id = client.events.push("chain:go", ADA).run_ids[0]
    reads: list[str] = []
    read_logs = client.runs.logs

    def counted(run_id: str) -> list[Any]:
        reads.append(run_id)
        return read_logs(run_id)

    monkeypatch.setattr(client.runs, "logs", counted)

    followed = client.runs.follow_logs(run_id)
    first = next(followed)
    actions.gate.set()  # "two" and "three" are logged after the follower read the logs
    rest = list(followed)  # ends when the run is final

    assert [line.line for line in (first, *rest)] == ["one", "two", "three"]
    assert reads == [run_id]  # once, at the start: the other lines came on the stream
    assert (first, *rest) == tuple(client.runs.logs(run_id))
    assert client.runs.get(run_id).run.status is RunStatus.SUCCEEDED
