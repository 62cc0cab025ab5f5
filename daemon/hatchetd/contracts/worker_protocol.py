"""The worker protocol (design §8): JSON messages over one WebSocket per worker.

The socket lives at `/api/v1/workers/connect` (bearer token in the `Authorization` header when the
daemon has one). Every message is a JSON object with a `type`. The worker speaks first:

    worker → daemon   register, heartbeat, started, completed, failed, log, draining
    daemon → worker   registered, assign, cancel, result_ack, error

A worker keeps each result it computed until the daemon answers it with `result_ack`, and sends it
again after a reconnect; the daemon accepts a result only for the attempt it is waiting on
(fencing), so a repeated or late result is answered `accepted: false` and changes nothing.

A worker that is shutting down sends `draining` and, from then on, starts nothing it has not
said `started` for. The daemon reads a socket's messages in order, so every `started` sent before
`draining` counts: those steps finish there; the ones it was given and had not started go to
another worker at once.

The protocol has revisions (`PROTOCOL_REVISION`). A worker names the one it speaks in the
`Hatchet-Protocol` header of its WebSocket handshake; one that sends no header speaks revision 1,
and the daemon leaves out of its messages the fields revision 1 lacks
(`REVISION_1_ASSIGN_EXCLUDES`), which such a worker would refuse. From revision 2 on, a worker
ignores fields of the daemon's messages it does not know, so adding one is safe.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from hatchetd.contracts.enums import CancelReason

PROTOCOL_PATH = "/api/v1/workers/connect"
"""Where workers open their WebSocket."""

PROTOCOL_HEADER = "Hatchet-Protocol"
"""The handshake header in which a worker names the protocol revision it speaks."""

PROTOCOL_REVISION = 2
"""This protocol's revision. 1: the first (a worker that sends no `Hatchet-Protocol` header).
2: `assign` also carries `step_id`, `workflow_name` and `event`, and workers ignore unknown fields
in the daemon's messages."""

REVISION_1_ASSIGN_EXCLUDES = frozenset({"step_id", "workflow_name", "event"})
"""The fields of `assign` a revision-1 worker does not know (it refuses a message that has one)."""


class _Message(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", use_attribute_docstrings=True)


Attempt = Annotated[int, Field(ge=1, le=2**31 - 1)]
"""An attempt number as a worker reports it: the store keeps it in a 32-bit column, and a bigger
one would fail the engine's commit rather than be answered."""


# -- worker → daemon --------------------------------------------------------------------------


class Register(_Message):
    """The first message on a socket: who the worker is and what it can run."""

    type: Literal["register"] = "register"
    name: str = Field(min_length=1, max_length=200)
    """A name for people; several workers may share one."""
    actions: list[Annotated[str, Field(pattern=r"^[^\s:]+:[^\s:]+$", max_length=255)]] = Field(
        min_length=1
    )
    """The actions this worker runs, each `integration:verb`."""
    slots: int = Field(default=1, ge=1, le=10_000)
    """How many step runs it runs at once."""


class Heartbeat(_Message):
    """Sent every `heartbeat_interval` seconds; a worker that misses several is lost."""

    type: Literal["heartbeat"] = "heartbeat"


class Started(_Message):
    """The worker began running an assigned step run."""

    type: Literal["started"] = "started"
    step_run_id: str
    attempt: Attempt


class Completed(_Message):
    """The action returned; `output` is its JSON value."""

    type: Literal["completed"] = "completed"
    step_run_id: str
    attempt: Attempt
    output: Any = None


class Failed(_Message):
    """The action raised, or its input did not validate."""

    type: Literal["failed"] = "failed"
    step_run_id: str
    attempt: Attempt
    error: str
    """`ExceptionType: message`."""
    traceback: str | None = None
    """The formatted traceback, when there is one."""


class Log(_Message):
    """One line the action logged with `ctx.log()`."""

    type: Literal["log"] = "log"
    step_run_id: str
    attempt: Attempt
    line: str = Field(max_length=64 * 1024)


class Draining(_Message):
    """The worker is shutting down: give it nothing more, and give the step runs it was assigned
    but has not said `started` for to another worker. The ones it started it finishes, and their
    results are accepted as usual. Sent once per connection, after every `started` it sent on
    that connection; a worker that reconnects while stopping sends it again after `register`."""

    type: Literal["draining"] = "draining"


WorkerMessage = Annotated[
    Register | Heartbeat | Started | Completed | Failed | Log | Draining,
    Field(discriminator="type"),
]
"""Anything a worker may send."""

# -- daemon → worker --------------------------------------------------------------------------


class _FromDaemon(BaseModel):
    # Unknown fields are ignored (not refused, as the daemon refuses a worker's): a newer daemon
    # may add fields without breaking the workers already deployed.
    model_config = ConfigDict(frozen=True, extra="ignore", use_attribute_docstrings=True)


class Registered(_FromDaemon):
    """The answer to `register`: the worker's identity for this connection."""

    type: Literal["registered"] = "registered"
    worker_id: str
    heartbeat_interval: float
    """Seconds between heartbeats the daemon expects."""


class TriggerEvent(_FromDaemon):
    """The event that started a workflow run (`ctx.event`), as its templates see `event`."""

    id: str
    """The event's id (`hatchet events show ID`)."""
    key: str
    """Its key, e.g. `user:create`."""
    created_at: datetime
    """When the daemon stored it."""


class Assign(_FromDaemon):
    """Run this step run now."""

    type: Literal["assign"] = "assign"
    step_run_id: str
    attempt: int
    workflow_run_id: str
    action: str
    input: Any
    """The rendered `with:` value."""
    step_outputs: dict[str, Any] = Field(default_factory=dict)
    """Outputs of the earlier steps of the same job, by step id (`ctx.step_output`)."""
    timeout: float | None = None
    """Seconds the step may run before it is cancelled."""
    step_id: str | None = None
    """The step's `id` in the workflow file (revision 2; None from an older daemon)."""
    workflow_name: str | None = None
    """The name of the run's workflow (revision 2; None from an older daemon)."""
    event: TriggerEvent | None = None
    """The event that started the run (revision 2); None for a run no event started (a cron
    run), and from an older daemon."""


class Cancel(_FromDaemon):
    """Stop running this step run; its result will be rejected."""

    type: Literal["cancel"] = "cancel"
    step_run_id: str
    attempt: int
    reason: CancelReason


class ResultAck(_FromDaemon):
    """The daemon stored (`accepted`) or rejected a result; the worker may forget it either way."""

    type: Literal["result_ack"] = "result_ack"
    step_run_id: str
    attempt: int
    accepted: bool
    reason: str | None = None
    """Why a result was rejected (e.g. it is from an older attempt)."""


class ProtocolError(_FromDaemon):
    """The daemon could not use a message; a bad `register` closes the socket after this."""

    type: Literal["error"] = "error"
    code: str
    message: str


DaemonMessage = Annotated[
    Registered | Assign | Cancel | ResultAck | ProtocolError, Field(discriminator="type")
]
"""Anything the daemon may send."""

WORKER_MESSAGE: TypeAdapter[WorkerMessage] = TypeAdapter(WorkerMessage)
"""Parses a worker's message (`WORKER_MESSAGE.validate_json(text)`)."""
DAEMON_MESSAGE: TypeAdapter[DaemonMessage] = TypeAdapter(DaemonMessage)
"""Parses the daemon's message."""
