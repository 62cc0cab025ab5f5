"""The history checker: a load's client log against what the store holds (issue 10, item 10).

It proves, for one load:

- every acknowledged event is stored, once, with the data that was pushed;
- every idempotency key names at most one event (and exactly one if it was ever acknowledged);
- every stored event has its run (one per matching workflow);
- no step result is recorded twice: per job run and step, at most one attempt succeeded, and a
  step that succeeded has no attempt after it;
- no run is left non-final.

It reads the store itself (`open_store` on the daemon's database), not the API, so it does not
take the daemon's word for anything.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from push_load import Attempt

from hatchetd.contracts.enums import StepRunStatus
from hatchetd.contracts.events import Event, EventQuery
from hatchetd.contracts.runs import RunQuery, WorkflowRun
from hatchetd.store import Store, iter_pages


@dataclass
class History:
    """What the checker found, figures and violations."""

    acked: int = 0
    """Distinct events the clients were told are stored."""
    attempts: Counter[str] = field(default_factory=Counter)
    """Attempts by outcome (acked, refused, 503, …)."""
    stored: int = 0
    lost: list[str] = field(default_factory=list)
    """Acknowledged keys with no event, or a different one."""
    duplicated: list[str] = field(default_factory=list)
    """Keys with more than one event."""
    changed: list[str] = field(default_factory=list)
    """Events whose data is not what was pushed."""
    without_run: list[str] = field(default_factory=list)
    results_twice: list[str] = field(default_factory=list)
    """`run/step` with more than one result recorded."""
    stuck: list[str] = field(default_factory=list)
    """Runs not final."""
    runs_by_status: Counter[str] = field(default_factory=Counter)

    @property
    def violations(self) -> dict[str, list[str]]:
        found = {
            "lost": self.lost,
            "duplicated": self.duplicated,
            "changed": self.changed,
            "without_run": self.without_run,
            "results_twice": self.results_twice,
            "stuck": self.stuck,
        }
        return {name: items[:10] for name, items in found.items() if items}


def check(log: list[Attempt], store: Store, *, runs_per_event: int = 1) -> History:
    """Check a load's log against the store; see the module docstring."""
    history = History(attempts=Counter(a.outcome for a in log))
    pushed: dict[str, dict[str, Any]] = {a.key: a.data for a in log}
    acked: dict[str, set[str]] = defaultdict(set)
    for attempt in log:
        if attempt.outcome == "acked" and attempt.event_id is not None:
            acked[attempt.key].add(attempt.event_id)
    history.acked = len(acked)
    events = [e for e in iter_pages(store, EventQuery(limit=1000)) if e.idempotency_key in pushed]
    history.stored = len(events)
    by_key: dict[str, list[Event]] = defaultdict(list)
    for event in events:
        assert event.idempotency_key is not None
        by_key[event.idempotency_key].append(event)
    for key, stored in by_key.items():
        if len(stored) > 1:
            history.duplicated.append(key)
        if any(e.data != pushed[key] for e in stored):
            history.changed.append(key)
    for key, ids in acked.items():
        if {e.id for e in by_key.get(key, [])} != ids:
            history.lost.append(key)  # never stored, or another event than the one acked
    for event in events:
        if len(event.run_ids) != runs_per_event:
            history.without_run.append(event.id)
        for run_id in event.run_ids:
            _check_run(store, run_id, history)
    return history


def _check_run(store: Store, run_id: str, history: History) -> None:
    trace = store.get_run_trace(run_id)
    if trace is None:
        history.without_run.append(run_id)
        return
    history.runs_by_status[trace.run.status.value] += 1
    if not trace.run.status.is_final:
        history.stuck.append(run_id)
    for job in trace.jobs:
        results: Counter[str] = Counter()
        for step in job.step_runs:
            if step.status is StepRunStatus.SUCCEEDED:
                results[step.step_id] += 1
        for step_id, count in results.items():
            if count > 1:
                history.results_twice.append(f"{run_id}/{step_id}")
        succeeded_at = {
            s.step_id: s.attempt for s in job.step_runs if s.status is StepRunStatus.SUCCEEDED
        }
        for step in job.step_runs:
            if step.step_id in succeeded_at and step.attempt > succeeded_at[step.step_id]:
                history.results_twice.append(f"{run_id}/{step.step_id}#{step.attempt}")


def runs_not_final(store: Store, workflow_name: str) -> list[WorkflowRun]:
    """The workflow's runs that are not final yet (what a test waits on)."""
    open_runs: list[WorkflowRun] = []
    query = RunQuery(workflow_name=workflow_name, limit=1000)
    while True:
        page = store.list_workflow_runs(query)
        open_runs += [r for r in page.items if not r.status.is_final]
        if page.next_cursor is None:
            return open_runs
        query = query.model_copy(update={"cursor": page.next_cursor})
