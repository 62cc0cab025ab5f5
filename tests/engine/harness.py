"""The engine as hatchetd drives it, over a real SQLite store and a fake clock.

`Daemon.call` runs a command the way `hatchetd.runtime` does: inside one `store.batch()`,
followed by a dispatch, with the effects collected only after the commit. `FakeWorker` plays
a worker's side of the socket: it reads the assignments addressed to it and reports back.
"""

from __future__ import annotations

import json
import textwrap
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import event
from sqlalchemy.pool import Pool

from hatchetd.contracts.events import Event
from hatchetd.contracts.runs import RunTrace, StepRun
from hatchetd.contracts.worker_protocol import Assign, Cancel
from hatchetd.contracts.workers import Worker
from hatchetd.engine import (
    Effect,
    Engine,
    FakeClock,
    Push,
    PushOutcome,
    ResultOutcome,
    SendAssign,
    SendCancel,
)
from hatchetd.store import Store
from hatchetd.workflows.registry import Registry

ROOT = Path(__file__).resolve().parents[2]
COMPAT = ROOT / "tests/fixtures/compat"

T = TypeVar("T")


def one_step_workflow(
    name: str = "greet",
    events: Sequence[str] = ("user:create",),
    action: str = "echo:echo",
    with_: str = "{message: 'Hello {{ .input.name }}'}",
    version: str = "v1",
) -> str:
    """A workflow file with one job of one step."""
    return textwrap.dedent(
        f"""\
        name: {name}
        version: "{version}"
        triggers:
          events: {json.dumps(list(events))}
        jobs:
          main:
            steps:
              - id: only
                action: {action}
                with: {with_}
        """
    )


class Daemon:
    """An engine with its store, clock, workflow folder and the effects not yet delivered."""

    def __init__(
        self,
        store: Store,
        clock: FakeClock,
        folder: Path,
        environ: Mapping[str, str],
        *,
        cached_runs: int = 10_000,
    ) -> None:
        self.store = store
        self.clock = clock
        self.folder = folder
        self.environ = dict(environ)
        self.engine = Engine(store, clock, environ=self.environ, cached_runs=cached_runs)
        self.registry = Registry(folder, store, clock.now)
        self.outbox: list[Effect] = []
        """Effects of committed batches that no worker has picked up yet."""

    # -- the runtime's loop ---------------------------------------------------------------------

    def call(self, command: Callable[[Engine], T]) -> T:
        """Run one command in its own batch, then dispatch, then collect the effects."""
        with self.store.batch():
            result = command(self.engine)
            self.engine.dispatch()
        self.outbox.extend(self.engine.drain_effects())
        return result

    def tick(self) -> None:
        """What the runtime does every quarter second."""
        with self.store.batch():
            self.engine.tick()
        self.outbox.extend(self.engine.drain_effects())

    def pass_time(self, seconds: float, *, alive: Sequence[FakeWorker] = ()) -> None:
        """Move the clock on by `seconds`, then tick once (the runtime ticks four times a
        second, so nothing that falls due waits longer than that). The workers in `alive`
        send a heartbeat every five seconds meanwhile, with a tick after each."""
        if alive:
            while seconds > 5:
                self.clock.advance(5)
                seconds -= 5
                for worker in alive:
                    worker.heartbeat()
                self.tick()
        self.clock.advance(seconds)
        self.tick()

    def restart(self, *, cached_runs: int = 10_000, down_at: datetime | None = None) -> Daemon:
        """A new daemon process on the same store and folder: a fresh engine, recovered as the
        runtime recovers it. `down_at` is when the store last heard from this daemon (its
        replica row's last renewal); by default just now, so no outage is counted."""
        again = Daemon(self.store, self.clock, self.folder, self.environ, cached_runs=cached_runs)
        now = self.clock.now()
        again.call(lambda e: e.recover(down_at or now, now))
        return again

    def outage(self, seconds: float) -> int:
        """The daemon (or its database) is down for `seconds` from now: the clock moves on with
        nothing ticking, then the engine recovers as the runtime makes it. Returns how many
        deadlines moved."""
        down_at = self.clock.now()
        self.clock.advance(seconds)
        moved = self.call(lambda e: e.recover(down_at, self.clock.now()))
        self.tick()
        return moved

    # -- workflows ------------------------------------------------------------------------------

    def load(self, **files: str) -> None:
        """Write workflow files (name → YAML text) into the folder and reload it, as the
        watcher would."""
        for name, text in files.items():
            (self.folder / f"{name}.yaml").write_text(text)
        self.reload()

    def load_compat(self, *relative: str) -> None:
        """Copy files of the compatibility corpus into the folder and reload it."""
        for path in relative:
            source = COMPAT / path
            (self.folder / source.name).write_text(source.read_text())
        self.reload()

    def remove(self, name: str) -> None:
        """Delete a workflow file and reload."""
        (self.folder / f"{name}.yaml").unlink()
        self.reload()

    def reload(self) -> None:
        """Reload the folder and hand the active versions to the engine."""

        def reload(engine: Engine) -> None:
            outcome = self.registry.reload()
            broken = [error for f in outcome.files for error in f.errors]
            assert not broken, broken
            engine.set_active_workflows(outcome.active)

        self.call(reload)

    # -- events ---------------------------------------------------------------------------------

    def push(
        self, key: str, data: dict[str, Any] | None = None, idempotency_key: str | None = None
    ) -> Event:
        """Push one event, as `POST /api/v1/events` does."""
        return self.push_outcome(key, data, idempotency_key).event

    def push_outcome(
        self, key: str, data: dict[str, Any] | None = None, idempotency_key: str | None = None
    ) -> PushOutcome:
        """Push one event and say whether it was created."""
        push = Push(key=key, data=data or {}, idempotency_key=idempotency_key)
        (outcome,) = self.call(lambda e: e.push_events([push]))
        return outcome

    # -- workers --------------------------------------------------------------------------------

    def connect(
        self, name: str = "worker", actions: Sequence[str] = ("echo:echo",), slots: int = 1
    ) -> FakeWorker:
        """A worker registers over its socket."""
        worker = self.call(lambda e: e.worker_connected(name, list(actions), slots))
        return FakeWorker(self, worker)

    # -- what `hatchet runs show` would show ----------------------------------------------------

    def trace(self, run_id: str) -> RunTrace:
        """The run with its whole tree."""
        trace = self.store.get_run_trace(run_id)
        assert trace is not None, f"no run {run_id}"
        return trace

    def steps(self, run_id: str) -> dict[str, StepRun]:
        """The run's step runs by step id (the last attempt of each)."""
        return {s.step_id: s for job in self.trace(run_id).jobs for s in job.step_runs}

    def attempts(self, run_id: str, step_id: str) -> list[StepRun]:
        """Every attempt at one step of the run, first attempt first."""
        return [s for job in self.trace(run_id).jobs for s in job.step_runs if s.step_id == step_id]

    def logs(self, step_run_id: str) -> list[str]:
        """The lines logged on a step run, in order."""
        return [log.line for log in self.store.list_step_logs(step_run_id)]

    def statuses(self, run_id: str) -> dict[str, str]:
        """`step id → status`, with the cancel reason after a slash when there is one."""
        return {
            step_id: f"{s.status.value}/{s.cancel_reason.value}" if s.cancel_reason else s.status
            for step_id, s in self.steps(run_id).items()
        }


class FakeWorker:
    """One worker connection, driven by the test."""

    def __init__(self, daemon: Daemon, worker: Worker) -> None:
        self.daemon = daemon
        self.worker = worker

    @property
    def id(self) -> str:
        """This connection's worker id."""
        return self.worker.id

    def assignments(self) -> list[Assign]:
        """The assignments sent to this worker since it last looked."""
        return [m for m in self._receive(SendAssign) if isinstance(m, Assign)]

    def cancellations(self) -> list[Cancel]:
        """The cancellations sent to this worker since it last looked."""
        return [m for m in self._receive(SendCancel) if isinstance(m, Cancel)]

    def started(self, assign: Assign) -> bool:
        """Report that it began a step run."""
        return self.daemon.call(
            lambda e: e.step_started(self.id, assign.step_run_id, assign.attempt)
        )

    def completed(
        self, assign: Assign, output: Any, *, attempt: int | None = None
    ) -> ResultOutcome:
        """Report a step run's output."""
        attempt = assign.attempt if attempt is None else attempt
        return self.daemon.call(
            lambda e: e.step_completed(self.id, assign.step_run_id, attempt, output)
        )

    def failed(self, assign: Assign, error: str, traceback: str | None = None) -> ResultOutcome:
        """Report that a step run's action raised."""
        return self.daemon.call(
            lambda e: e.step_failed(self.id, assign.step_run_id, assign.attempt, error, traceback)
        )

    def run(self, assign: Assign, output: Any = None) -> ResultOutcome:
        """Start and complete a step run; the output defaults to an echo of the input."""
        self.started(assign)
        return self.completed(assign, assign.input if output is None else output)

    def run_all(self) -> int:
        """Echo every assignment, including those the results lead to; return how many ran."""
        done = 0
        while batch := self.assignments():
            for assign in batch:
                self.run(assign)
                done += 1
        return done

    def draining(self) -> list[str]:
        """Say it is shutting down; the ids of the step runs handed back."""
        return self.daemon.call(lambda e: e.worker_draining(self.id))

    def heartbeat(self) -> bool:
        """Send a heartbeat."""
        return self.daemon.call(lambda e: e.heartbeat(self.id))

    def disconnect(self) -> None:
        """Close the socket."""
        self.daemon.call(lambda e: e.worker_disconnected(self.id))

    def _receive(self, kind: type[SendAssign | SendCancel]) -> list[Assign | Cancel]:
        mine = [e for e in self.daemon.outbox if isinstance(e, kind) and e.worker_id == self.id]
        self.daemon.outbox[:] = [e for e in self.daemon.outbox if e not in mine]
        return [e.message for e in mine]


class StatementLog:
    """Every SQL statement the store runs on SQLite while recording (transaction control
    left out)."""

    def __init__(self) -> None:
        self.statements: list[str] = []

    @contextmanager
    def recording(self) -> Iterator[StatementLog]:
        """Record statements run on connections checked out of any pool during the block."""

        def checkout(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
            dbapi_connection.set_trace_callback(self._trace)

        def checkin(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.set_trace_callback(None)

        event.listen(Pool, "checkout", checkout)
        event.listen(Pool, "checkin", checkin)
        try:
            yield self
        finally:
            event.remove(Pool, "checkout", checkout)
            event.remove(Pool, "checkin", checkin)

    def _trace(self, sql: str) -> None:
        verb = sql.lstrip().split(None, 1)[0].upper() if sql.strip() else ""
        if verb in {"SELECT", "INSERT", "UPDATE", "DELETE"}:
            self.statements.append(sql)

    def count(self, verb: str) -> int:
        """How many recorded statements start with `verb`."""
        return sum(1 for s in self.statements if s.lstrip().upper().startswith(verb))

    def tables(self, verb: str) -> list[str]:
        """The table each `verb` statement touched, in order (`INSERT INTO x`, `UPDATE x`)."""
        found = []
        for sql in self.statements:
            words = sql.split()
            if words[0].upper() == verb:
                found.append(words[2] if verb == "INSERT" else words[1])
        return found
