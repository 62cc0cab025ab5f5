"""The engine: ingest, runs started by hand, reruns, planning, dispatch, the run state machine,
liveness, timeouts, retries and replay.

It takes a `Store` and a `Clock` and does no I/O of its own; `hatchetd.runtime` drives it.
"""

from __future__ import annotations

from hatchetd.engine.clock import Clock, FakeClock, SystemClock
from hatchetd.engine.controller import ResultOutcome
from hatchetd.engine.effects import Effect, SendAssign, SendCancel
from hatchetd.engine.engine import Engine
from hatchetd.engine.errors import (
    EngineError,
    EventNotFound,
    IdempotencyConflict,
    NothingFailed,
    PayloadEditFailed,
    RerunIdempotencyConflict,
    RunIdempotencyConflict,
    RunNotFinal,
    RunNotFound,
    WorkflowInactive,
    WorkflowNotFound,
)
from hatchetd.engine.ingest import Push, PushOutcome
from hatchetd.engine.manual import StartOutcome
from hatchetd.engine.replay import replay_payload

__all__ = [
    "Clock",
    "Effect",
    "Engine",
    "EngineError",
    "EventNotFound",
    "FakeClock",
    "IdempotencyConflict",
    "NothingFailed",
    "PayloadEditFailed",
    "Push",
    "PushOutcome",
    "RerunIdempotencyConflict",
    "ResultOutcome",
    "RunIdempotencyConflict",
    "RunNotFinal",
    "RunNotFound",
    "SendAssign",
    "SendCancel",
    "StartOutcome",
    "SystemClock",
    "WorkflowInactive",
    "WorkflowNotFound",
    "replay_payload",
]
