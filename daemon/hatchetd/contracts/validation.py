"""The report of `hatchet workflows validate -o json`: a stable document for CI and editors."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from hatchetd.contracts.parse import WorkflowError


class _Report(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)


class ValidatedTriggers(_Report):
    """What starts a valid workflow, whichever form its file used."""

    events: list[str]
    """The event keys that trigger it."""
    crons: list[str]
    """Its cron schedules."""


class ValidatedJob(_Report):
    """One job of a valid workflow."""

    name: str
    """The job's name."""
    steps: list[str]
    """Its step ids, in order."""


class ValidatedWorkflow(_Report):
    """A workflow file that is valid."""

    name: str
    """The workflow's name."""
    version: str | None
    """Its `version:` text, as written."""
    description: str | None
    """Its `description:`."""
    file: str
    """The file, as given (relative to the folder searched)."""
    checksum: str
    """The checksum the daemon would give this version."""
    timezone: str | None
    """The IANA timezone its crons run in (UTC when null)."""
    triggers: ValidatedTriggers
    """Its triggers."""
    jobs: list[ValidatedJob]
    """Its jobs, in file order."""


class ValidationReport(_Report):
    """Everything `hatchet workflows validate` found."""

    valid: bool
    """True when there is no error at all."""
    workflows: list[ValidatedWorkflow]
    """The valid workflows, in file order."""
    errors: list[WorkflowError]
    """Every error, file by file and by position."""
