"""What a daemon tells the others on a shared database after each commit, and how they read it.

Each committed batch's records travel as NOTIFY payloads on the schema's channel: JSON
`{"from": replica id, "records": [[kind, record], …]}`, as many payloads as it takes to stay
under PostgreSQL's 8,000 bytes. A record too big to travel (a large payload, step output or log
line) goes as `[kind, null, key]` and the receiver reads it from the store, where it is committed
by then.

The receivers feed them to their engine (work made ready, steps ended elsewhere) and to their
change stream, so a client following `/api/v1/changes` on one daemon sees what every daemon
commits, in commit order.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from pydantic import BaseModel

from hatchetd.contracts.events import Event
from hatchetd.contracts.runs import JobRun, RunStepLog, StepRun, WorkflowRun
from hatchetd.contracts.workers import Worker
from hatchetd.contracts.workflows import Workflow
from hatchetd.store import Store
from hatchetd.store.protocol import NOTIFY_LIMIT, Written

log = logging.getLogger("hatchetd.runtime")

_KINDS: dict[str, type[BaseModel]] = {
    "event": Event,
    "run": WorkflowRun,
    "job_run": JobRun,
    "step_run": StepRun,
    "worker": Worker,
    "workflow": Workflow,
    "step_log": RunStepLog,
}
_KIND_OF = {model: kind for kind, model in _KINDS.items()}


def encode(replica_id: str, records: Sequence[Written]) -> list[str]:
    """The payloads that carry `records`, in order."""
    head = f'{{"from":{json.dumps(replica_id)},"records":['
    budget = NOTIFY_LIMIT - len(head) - 2
    payloads: list[str] = []
    items: list[str] = []
    size = 0
    for record in records:
        kind = _KIND_OF[type(record)]
        item = f'["{kind}",{record.model_dump_json()}]'
        if len(item.encode()) > budget:
            item = json.dumps([kind, None, _key(record)])
        if items and size + len(item.encode()) + 1 > budget:
            payloads.append(head + ",".join(items) + "]}")
            items, size = [], 0
        items.append(item)
        size += len(item.encode()) + 1
    if items:
        payloads.append(head + ",".join(items) + "]}")
    return payloads


def decode(payload: str, own_replica: str, store: Store) -> list[Written] | None:
    """The records in a payload, None if this daemon sent it (or it cannot be read)."""
    try:
        message: dict[str, Any] = json.loads(payload)
    except ValueError:
        log.warning("ignored a notification that is not JSON: %.80s", payload)
        return None
    if message.get("from") == own_replica:
        return None
    records: list[Written] = []
    for item in message.get("records", []):
        kind, body = item[0], item[1]
        model = _KINDS.get(kind)
        if model is None:
            continue  # from a newer daemon: what it means is not known here
        if body is None:
            fetched = _READERS[kind](store, item[2])
            if fetched is not None:
                records.append(fetched)
            continue
        records.append(model.model_validate(body))  # type: ignore[arg-type]
    return records


def _key(record: Written) -> str:
    if isinstance(record, RunStepLog):
        # A log line has no id of its own: its run, step run and time find it again.
        return json.dumps([record.workflow_run_id, record.step_run_id, record.at.isoformat()])
    return record.name if isinstance(record, Workflow) else record.id


def _read_log(store: Store, key: str) -> RunStepLog | None:
    run_id, step_run_id, at = json.loads(key)
    when = datetime.fromisoformat(at)
    lines = [log for log in store.list_step_logs(step_run_id) if log.at == when]
    if not lines:
        return None
    # Should two lines share a time, the one that could not travel is the longer.
    line = max(lines, key=lambda log: len(log.line))
    return RunStepLog(workflow_run_id=run_id, **line.model_dump())


_READERS: dict[str, Callable[[Store, str], Written | None]] = {
    "event": lambda store, key: store.get_event(key),
    "run": lambda store, key: store.get_workflow_run(key),
    "job_run": lambda store, key: store.get_job_run(key),
    "step_run": lambda store, key: store.get_step_run(key),
    "worker": lambda store, key: store.get_worker(key),
    "workflow": lambda store, key: store.get_workflow(key),
    "step_log": _read_log,
}
