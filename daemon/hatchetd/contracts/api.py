"""Request and response bodies of the HTTP API under `/api/v1` that are not plain records.

Records (events, runs, workers) travel as their `hatchetd.contracts` models; these add what only
the API needs. The CLI's `-o json` prints these shapes, so they are a stable contract.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, JsonValue, model_validator

from hatchetd.contracts.events import Event
from hatchetd.contracts.ids import IdOrPrefix
from hatchetd.contracts.payload_paths import PathValue
from hatchetd.contracts.runs import WorkflowRun
from hatchetd.contracts.storable_schema import no_nul_in_strings
from hatchetd.contracts.times import TimeBound
from hatchetd.contracts.workers import Worker
from hatchetd.contracts.workflows import WorkflowVersion

MAX_PAYLOAD_BYTES = 1024 * 1024
"""The largest event payload accepted (design §6): its JSON text, in bytes."""
MAX_BULK_EVENTS = 1000
"""The most events one bulk push may carry."""
MAX_REPLAY_EVENTS = 10_000
"""The most events one replay may cover; narrow the filter for more."""


NO_SPACE = (
    r"^[^\x00\t-\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff]+$"
)
r"""Text without whitespace of any kind, nor NUL. Spelled out because `\S` means three
things: Python's `re`, pydantic's Rust regex and the ECMA regex of the OpenAPI document disagree
on U+001C to U+001F, U+0085 and U+FEFF, and a key one of them takes must be one all of them
take."""


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)


class PushEvent(_Body):
    """`POST /api/v1/events`: one event to store and match."""

    key: str = Field(min_length=1, max_length=255, pattern=NO_SPACE)
    """The event key, e.g. `user:create`."""
    data: dict[str, Any] = Field(default_factory=dict)
    """The payload: a JSON object of at most 1 MiB."""
    idempotency_key: str | None = Field(
        default=None, min_length=1, max_length=255, json_schema_extra=no_nul_in_strings
    )
    """Pushing the same key again with the same data returns the first event; with other data
    it is refused (409)."""


class StartRun(_Body):
    """`POST /api/v1/workflows/{name}/runs`: start a run of the workflow by hand."""

    input: dict[str, Any] = Field(default_factory=dict)
    """What the run starts with: a JSON object of at most 1 MiB, which templates read as
    `input`, and its top-level keys directly, as they read an event's payload."""
    idempotency_key: str | None = Field(
        default=None, min_length=1, max_length=255, json_schema_extra=no_nul_in_strings
    )
    """Starting the same workflow with the same key and input again returns the first run; with
    another workflow or other input it is refused (409)."""


class RerunRun(_Body):
    """`POST /api/v1/runs/{run_id}/rerun`: a new run of an ended run's workflow version, with its
    trigger, event and input."""

    from_failed: bool = False
    """Keep the outputs of the steps that succeeded (they are not run again) and start each job
    that did not succeed at its first step that did not; refused (409) if no step failed."""
    idempotency_key: str | None = Field(
        default=None, min_length=1, max_length=255, json_schema_extra=no_nul_in_strings
    )
    """Rerunning the same run with the same key again returns the first rerun; a key that
    started any other run is refused (409)."""


class PushEvents(_Body):
    """`POST /api/v1/events/bulk`: several events, stored together in one commit."""

    events: list[PushEvent] = Field(min_length=1, max_length=MAX_BULK_EVENTS)
    """The events, stored in this order."""


_NO: JsonValue = {"type": "null"}


def _by_filter(name: str) -> JsonValue:
    return {"required": [name], "properties": {name: {"type": "string"}, "event_ids": _NO}}


_IDS_OR_FILTER: list[JsonValue] = [
    {
        "required": ["event_ids"],
        "properties": {"event_ids": {"type": "array"}, "key": _NO, "since": _NO, "until": _NO},
    },
    _by_filter("key"),
    _by_filter("since"),
    _by_filter("until"),
]
"""`ReplayEvents._ids_or_filter` in JSON Schema: `event_ids`, or a filter of at least one of
`key`, `since` and `until`, never both (a missing field is null)."""


class ReplayEvents(_Body):
    """`POST /api/v1/events/replay`: push events again as new events linked to the originals.

    Name the events by id, or by a filter (`key` and/or a time range) to replay every event it
    matches, oldest first. `dry_run` lists what would be replayed and replays nothing.
    """

    model_config = ConfigDict(json_schema_extra={"anyOf": _IDS_OR_FILTER})

    event_ids: list[IdOrPrefix] | None = Field(
        default=None, min_length=1, max_length=MAX_REPLAY_EVENTS
    )
    """The events to replay (full ids or unique prefixes of at least 4 characters), in order."""
    key: str | None = Field(default=None, min_length=1, json_schema_extra=no_nul_in_strings)
    """Replay the events with this key (exact, or `*` segments: `user:*`)."""
    since: TimeBound | None = None
    """Replay the events created at or after this time."""
    until: TimeBound | None = None
    """Replay the events created before this time."""
    data: dict[str, Any] | None = None
    """Replace every replayed event's payload with this one."""
    set: list[PathValue] = Field(default_factory=list, max_length=100)
    """Edit every replayed event's payload (after `data`, if given): put each value at its dot
    path, in order, creating missing objects on the way; a path through a value that is not an
    object refuses the whole replay (400). `[{"path": "user.email", "value": "a@b.c"}]`."""
    dry_run: bool = False
    """List the events that would be replayed, each with the payload its replay would carry
    (after `data` and `set`); replay nothing."""

    @model_validator(mode="after")
    def _ids_or_filter(self) -> ReplayEvents:
        has_filter = self.key is not None or self.since is not None or self.until is not None
        if self.event_ids is None and not has_filter:
            raise ValueError("name the events: give event_ids, or a filter (key, since, until)")
        if self.event_ids is not None and has_filter:
            raise ValueError("give event_ids or a filter (key, since, until), not both")
        return self


class ReplayResult(_Body):
    """What a replay did, or with `dry_run`, would do."""

    dry_run: bool
    """True when nothing was replayed."""
    events: list[Event]
    """The new events (a replay) or the events that would be replayed (a dry run)."""


class EventList(_Body):
    """A page of events, newest first."""

    items: list[Event]
    """The events."""
    next_cursor: str | None = None
    """Pass as `cursor` for the next page; null on the last."""


class EventDetail(_Body):
    """One event with the runs it triggered."""

    event: Event
    """The event."""
    runs: list[WorkflowRun]
    """The workflow runs it triggered, oldest first."""


class RunList(_Body):
    """A page of workflow runs, newest first."""

    items: list[WorkflowRun]
    """The runs."""
    next_cursor: str | None = None
    """Pass as `cursor` for the next page; null on the last."""


class SimilarKey(_Body):
    """An event key active workflows listen to that looks like one pushed."""

    key: str
    """The key (or `*` pattern) in the workflows' triggers."""
    workflows: list[str]
    """The active workflows it triggers, by name."""


class PushedEvent(Event):
    """`POST /api/v1/events`: the stored event, and what the push did."""

    existing: bool = False
    """True when the idempotency key was pushed before (with the same data): this is that
    event, and nothing new was stored or started."""
    similar_keys: list[SimilarKey] = Field(default_factory=list)
    """When the event triggered no run: the keys active workflows listen to that look like
    its key (a typo's likely fix), closest first; empty otherwise."""


class UnservedAction(_Body):
    """An action active workflows call that no connected worker registered."""

    action: str
    """The action, `integration:verb`."""
    workflows: list[str]
    """The active workflows with a step that calls it, by name."""


class WorkflowInfo(_Body):
    """A workflow as `hatchet workflows list` shows it."""

    name: str
    """The workflow's name."""
    active: bool
    """False once its file is deleted."""
    version: str | None
    """The current version's `version:` text."""
    version_id: str
    """The current version's checksum."""
    file: str
    """The file that defines it, relative to the watched folder."""
    events: list[str]
    """The event keys that trigger it."""
    crons: list[str]
    """The cron schedules that trigger it."""
    errors: list[str] = Field(default_factory=list)
    """Why its file does not load right now (it keeps its last good version meanwhile)."""
    updated_at: datetime
    """When its current version or active flag last changed."""
    unserved_actions: list[str] = Field(default_factory=list)
    """The actions its current version calls that no connected worker registered (its steps
    that call them wait for a worker); always empty for an inactive workflow."""


class FileErrors(_Body):
    """A workflow file that does not load."""

    file: str
    """The file, relative to the watched folder."""
    errors: list[str]
    """`file:line:col: key.path: message` for each problem."""


class WorkflowList(_Body):
    """Every workflow ever loaded, and the files that do not load now."""

    workflows: list[WorkflowInfo]
    """By name."""
    broken_files: list[FileErrors]
    """Files with errors, by path."""


class WorkerInfo(_Body):
    """A worker with what it is running now."""

    worker: Worker
    """The worker."""
    running_step_run_ids: list[str]
    """Step runs assigned to it and not final."""


class DaemonStatus(_Body):
    """`GET /api/v1/status`: what `hatchet status` shows."""

    version: str
    """hatchetd's version."""
    address: str
    """Where it listens."""
    store: str
    """The database, without password."""
    folder: str
    """The watched workflow folder."""
    started_at: datetime
    """When this daemon process started."""
    workers: int
    """Active workers."""
    queue_depth: int
    """Step runs waiting for a worker."""
    replica_id: str = ""
    """This daemon's identity in the store (new at every start)."""
    leader: bool = True
    """Whether this daemon runs the store-wide chores — cron, deadlines, lost workers — now:
    always on SQLite; on PostgreSQL one of the daemons sharing the database at a time."""
    replicas: int = 1
    """Daemons serving the store now, this one included (renewed their lease lately)."""
    folder_drift: list[str] = []
    """How this daemon's workflow folder differs from what the store has active: another daemon
    sharing the store loaded other files. Empty when they agree."""
    unserved_actions: list[UnservedAction] = []
    """The actions active workflows call that no connected worker registered, by action: the
    steps that call them wait for a worker until one that registers them connects."""


class WorkflowDetail(_Body):
    """One workflow in full: what `hatchet workflows show` prints.

    The client assembles it from `GET /api/v1/workflows/{name}`, `.../{name}/versions` and
    `GET /api/v1/runs?workflow={name}`; the daemon has no endpoint of its own for it.
    """

    workflow: WorkflowInfo
    """The workflow: state, current version, triggers, file and reload errors."""
    definition: dict[str, Any]
    """The current version's normalised definition (the same as its entry in `versions`)."""
    versions: list[WorkflowVersion]
    """Every version the daemon has seen, oldest first."""
    recent_runs: list[WorkflowRun]
    """Its latest workflow runs, newest first (at most 10)."""
