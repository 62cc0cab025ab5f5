"""The workflow file format (design §3) as pydantic models.

The models validate plain Python data, whatever produced it; `hatchetd.contracts.parse` turns YAML
text into that data and attaches file positions to the errors. Every field's attribute docstring is
its reference documentation (docs/workflow-spec.md is written from them).

Both trigger forms end up in `WorkflowSpec.triggers`: the README's `on:` is folded into it during
validation, so the dump, and hence the checksum, is the same whichever form a file uses.
"""

from __future__ import annotations

import hashlib
import json
import re
import zoneinfo
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Annotated, Any

from croniter import CroniterBadDateError, croniter
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    JsonValue,
    StrictInt,
    StrictStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

from hatchetd.contracts.duration import Duration, format_duration, parse_duration
from hatchetd.contracts.json_values import JsonProblem, check_json, describe_path

__all__ = [
    "CronExpression",
    "Duration",
    "EventKey",
    "JobSpec",
    "OnCronSpec",
    "OnSpec",
    "StepSpec",
    "TriggersSpec",
    "WorkflowSpec",
    "duplicate_step_ids",
    "format_duration",
    "parse_duration",
]


def _custom(kind: str, message: str) -> PydanticCustomError:
    """An error whose message is shown exactly as written (braces included)."""
    return PydanticCustomError(kind, "{message}", {"message": message})


# ---------------------------------------------------------------------------------------------
# Small value types


def _check_text(value: str) -> str:
    if not value.strip():
        raise _custom("empty", "must not be empty")
    if value != value.strip():
        raise _custom("text", "must not start or end with spaces")
    if any(ord(char) < 32 or ord(char) == 127 for char in value):
        raise _custom("text", "must not contain control characters such as line breaks")
    return value


Text = Annotated[StrictStr, AfterValidator(_check_text)]
"""A name: non-empty, no surrounding spaces, no line breaks."""


def _check_storable(value: JsonValue) -> JsonValue:
    # A step's input is stored with its step run: `.nan` or a NUL would fail the engine's commit
    # on PostgreSQL (or be stored changed on SQLite) when the step is created, not here.
    try:
        check_json(value)
    except JsonProblem as exc:
        where = describe_path(exc.path)
        raise _custom("unstorable", f"{where}: {exc.problem}" if where else exc.problem) from None
    return value


_STEP_ID = re.compile(r"[A-Za-z0-9_-]+")


def _check_step_id(value: str) -> str:
    if not value:
        raise _custom("empty", "must not be empty")
    if not _STEP_ID.fullmatch(value):
        raise _custom("step_id", "must contain only letters, digits, '-' and '_'")
    return value


StepId = Annotated[StrictStr, AfterValidator(_check_step_id)]
"""A step id: letters, digits, `-` and `_` (it is a name in templates: `steps.<id>`)."""

_ACTION = re.compile(r"[^\s:]+:[^\s:]+")


def _check_action(value: str) -> str:
    if not _ACTION.fullmatch(value):
        raise _custom("action", "must look like integration:verb")
    return value


Action = Annotated[StrictStr, AfterValidator(_check_action)]
"""`integration:verb`, e.g. `postmark:email-from-template`."""


def _check_event_key(value: str) -> str:
    if not value:
        raise _custom("event_key", "invalid event key '': must not be empty")
    if any(char.isspace() or ord(char) < 32 for char in value):
        raise _custom("event_key", f"invalid event key '{value}': must not contain spaces")
    for segment in value.split(":"):
        if not segment:
            raise _custom(
                "event_key",
                f"invalid event key '{value}': empty segment between ':' separators",
            )
        if "*" in segment and segment != "*":
            raise _custom(
                "event_key",
                f"invalid event key '{value}': '*' must be a whole segment, like user:*",
            )
    return value


EventKey = Annotated[StrictStr, AfterValidator(_check_event_key)]
"""An event key like `user:create`; a segment that is exactly `*` matches any one segment."""

_CRON_MACROS = frozenset(
    {"@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"}
)


def _check_cron(value: str) -> str:
    expression = " ".join(value.split())
    if expression in _CRON_MACROS:
        return expression
    fields = expression.split(" ") if expression else []
    if len(fields) != 5:
        raise _custom(
            "cron",
            f"invalid cron '{value}': expected 5 fields (minute hour day-of-month month "
            f"day-of-week), got {len(fields)}",
        )
    if not croniter.is_valid(expression):
        raise _custom(
            "cron",
            f"invalid cron '{value}': not a valid schedule (like */15 * * * *, see man 5 crontab)",
        )
    try:
        # croniter searches a few years ahead: past every leap day and every weekday of a date.
        croniter(expression, _CRON_PROBE_START).get_next()
    except CroniterBadDateError:
        raise _custom(
            "cron",
            f"invalid cron '{value}': never fires (no month has that day, like 30 February)",
        ) from None
    return expression


_CRON_PROBE_START = datetime(2001, 1, 1, tzinfo=UTC)


CronExpression = Annotated[StrictStr, AfterValidator(_check_cron)]
"""A 5-field cron expression (`*/15 * * * *`) or a macro such as `@hourly`; spaces normalised."""


def _check_timezone(value: str) -> str:
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise _custom(
            "timezone",
            f"unknown timezone '{value}': use an IANA name like Europe/Paris or UTC",
        ) from None
    return value


Timezone = Annotated[StrictStr, AfterValidator(_check_timezone)]
"""An IANA time zone name (`Europe/Paris`, `UTC`)."""


# ---------------------------------------------------------------------------------------------
# Models


class _Spec(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        use_attribute_docstrings=True,
        serialize_by_alias=True,
        validate_by_alias=True,
        validate_by_name=False,
    )


class TriggersSpec(_Spec):
    """What starts a run of the workflow: events, cron schedules, both or neither."""

    events: list[EventKey] = Field(default_factory=list)
    """Event keys that start a run, like `user:create`. A segment that is exactly `*` matches any
    one segment (`user:*` matches `user:create`); everything else must match exactly."""

    crons: list[CronExpression] = Field(default_factory=list)
    """Cron schedules (5 fields: minute hour day-of-month month day-of-week) that start a run,
    evaluated in the workflow's `timezone` (UTC when none is given)."""


class OnCronSpec(_Spec):
    """The README's `on: {cron: {schedule: ...}}`."""

    schedule: CronExpression
    """The cron expression."""


class OnSpec(_Spec):
    """The trigger form of the original README; folded into `triggers` when a file is read.

    `on:` takes a list of event keys, a single event key, or a mapping with any of the fields below.
    """

    events: list[EventKey] = Field(default_factory=list)
    """Event keys that start a run."""

    event: EventKey | None = None
    """A single event key that starts a run."""

    cron: OnCronSpec | None = None
    """One cron schedule, as `cron: {schedule: "*/15 * * * *"}` or `cron: "*/15 * * * *"`."""

    crons: list[CronExpression] = Field(default_factory=list)
    """Cron schedules that start a run."""

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, data: Any) -> Any:
        """`on: [a, b]` and `on: a` mean `on: {events: [a, b]}` and `on: {events: [a]}`."""
        if isinstance(data, list):
            return {"events": data}
        if isinstance(data, str):
            return {"events": [data]}
        return data

    @field_validator("cron", mode="before")
    @classmethod
    def _cron_text(cls, value: Any) -> Any:
        return {"schedule": value} if isinstance(value, str) else value

    def to_triggers(self) -> TriggersSpec:
        """The same triggers in the `triggers:` form."""
        events = [*self.events, *([self.event] if self.event is not None else [])]
        crons = [*([self.cron.schedule] if self.cron is not None else []), *self.crons]
        return TriggersSpec(events=events, crons=crons)


class StepSpec(_Spec):
    """One step of a job: a call to an action that some worker registered."""

    id: StepId
    """Identifies the step within its job (required, unique in the job). Later steps read its
    output in templates as `steps.<id>`."""

    name: Text | None = None
    """A human-readable name shown in run listings."""

    action: Action
    """The action a worker must have registered to run this step, as `integration:verb`
    (e.g. `postmark:email-from-template`)."""

    timeout: Duration = 60.0
    """How long one attempt may run, counted from RUNNING; then it is cancelled with
    `TIMED_OUT`."""

    schedule_timeout: Duration = 300.0
    """How long the step may wait for a worker with its action; then it is cancelled with
    `SCHEDULING_TIMED_OUT`."""

    retries: Annotated[StrictInt, Field(ge=0)] = 0
    """Extra attempts after a failure or a timeout (0: the first failure is final)."""

    with_: Annotated[JsonValue, AfterValidator(_check_storable)] = Field(
        default_factory=dict, alias="with"
    )
    """The step's input: any YAML value a JSON payload could hold (no `.nan`, `.inf` or NUL; see
    docs/api.md#limits). Strings in it are templates rendered just before the step is assigned
    (see docs/templates.md); `$NAME` is replaced by the daemon's environment variable."""


class JobSpec(_Spec):
    """A sequence of steps; the jobs of a workflow run in parallel."""

    description: StrictStr | None = None
    """What the job does."""

    timeout: Duration | None = None
    """How long the whole job may take, counted from its start; when it runs out, what is running is
    cancelled with `JOB_TIMED_OUT`. No limit when absent (each step still has its own)."""

    steps: list[StepSpec]
    """The steps, run one after another in this order (at least one)."""

    @field_validator("steps")
    @classmethod
    def _at_least_one_step(cls, steps: list[StepSpec]) -> list[StepSpec]:
        if not steps:
            raise _custom("empty", "a job needs at least one step")
        return steps

    @model_validator(mode="after")
    def _unique_step_ids(self) -> JobSpec:
        duplicates: list[InitErrorDetails] = [
            {
                "type": PydanticCustomError(
                    "duplicate_step_id",
                    "duplicate step id '{id}' (first at steps[{first}])",
                    {"id": step_id, "first": first},
                ),
                "loc": ("steps", index, "id"),
                "input": step_id,
            }
            for index, step_id, first in duplicate_step_ids([step.id for step in self.steps])
        ]
        if duplicates:
            # A ValidationError raised in a validator keeps its own locations (relative to this
            # model), which lets one check report every duplicate at the id that repeats.
            raise ValidationError.from_exception_data(type(self).__name__, duplicates)
        return self


def duplicate_step_ids(ids: Sequence[object]) -> list[tuple[int, str, int]]:
    """`(index, id, index of its first use)` for every step id that repeats an earlier one.

    Takes the ids of a job's steps in order; anything that is not a string is ignored (it has its
    own error), so this also works on raw, unvalidated data.
    """
    first_index: dict[str, int] = {}
    repeats: list[tuple[int, str, int]] = []
    for index, step_id in enumerate(ids):
        if not isinstance(step_id, str):
            continue
        first = first_index.setdefault(step_id, index)
        if first != index:
            repeats.append((index, step_id, first))
    return repeats


class WorkflowSpec(_Spec):
    """A workflow file: what starts it and the jobs it runs."""

    name: Text
    """The workflow's name (required); unique across the watched folder."""

    version: StrictStr | None = None
    """Free text naming this version of the file (`v0.2.0`, `1.10`), kept exactly as written.
    Only informative: the daemon tells versions apart by checksum."""

    description: StrictStr | None = None
    """What the workflow does."""

    timezone: Timezone | None = None
    """The IANA time zone (`Europe/Paris`) the cron schedules are read in; UTC when absent."""

    triggers: TriggersSpec = Field(default_factory=TriggersSpec)
    """Events and cron schedules that start a run. A workflow without triggers only runs when
    started by hand."""

    on: OnSpec | None = Field(default=None, exclude=True)
    """The original README's trigger form (`on: [user:create]`, `on: {cron: {schedule: ...}}`);
    folded into `triggers`, so it is always empty after validation. Use one form per file."""

    jobs: dict[Text, JobSpec]
    """The jobs by name, in file order (at least one). Jobs run in parallel."""

    @model_validator(mode="before")
    @classmethod
    def _prepare(cls, data: Any) -> Any:
        """Drop `x-` keys (a place for YAML anchors, as in Compose files), and take back a bare
        `on:` key that `yaml.safe_load` read as the boolean True.

        `hatchetd.contracts.parse` keeps keys as written; the True case is for callers that used
        plain PyYAML.
        """
        if not isinstance(data, dict):
            return data
        return {
            ("on" if key is True and "on" not in data else key): value
            for key, value in data.items()
            if not (isinstance(key, str) and key.startswith(EXTENSION_PREFIX))
        }

    @field_validator("jobs")
    @classmethod
    def _at_least_one_job(cls, jobs: dict[str, JobSpec]) -> dict[str, JobSpec]:
        if not jobs:
            raise _custom("empty", "a workflow needs at least one job")
        return jobs

    @model_validator(mode="after")
    def _fold_on_into_triggers(self) -> WorkflowSpec:
        if {"on", "triggers"} <= self.model_fields_set:
            raise ValidationError.from_exception_data(
                type(self).__name__,
                [
                    {
                        "type": _custom("on_and_triggers", ON_AND_TRIGGERS),
                        "loc": ("on",),
                        "input": None,
                    }
                ],
            )
        if self.on is not None:
            self.triggers = self.on.to_triggers()
            self.on = None
        return self

    def definition(self) -> dict[str, Any]:
        """The normalised spec as JSON data: defaults filled in, durations in canonical text,
        `on:` folded into `triggers`."""
        return self.model_dump(mode="json")

    def canonical_json(self) -> str:
        """The normalised spec as JSON text with sorted keys and no spaces: the checksum's input."""
        return json.dumps(
            self.definition(), sort_keys=True, separators=(",", ":"), ensure_ascii=False
        )

    def checksum(self) -> str:
        """SHA-256 (hex) of `canonical_json()` as UTF-8: identifies this version of the workflow.

        Formatting, comments, key order, the trigger form and spelled-out defaults do not change
        it; any change in meaning does.
        """
        return hashlib.sha256(self.canonical_json().encode("utf-8")).hexdigest()


EXTENSION_PREFIX = "x-"
"""Top-level keys starting with this are ignored: a place to define YAML anchors."""

ON_AND_TRIGGERS = "use either 'triggers' or 'on', not both"
"""The error when a file has both trigger forms."""
