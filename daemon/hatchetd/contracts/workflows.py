"""Stored workflows and their versions (the registry's durable half)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict


class WorkflowVersion(BaseModel):
    """One definition of a workflow, identified by the checksum of its normalised content.

    Runs keep the version they started with, so versions are never changed or deleted.
    """

    model_config = ConfigDict(use_attribute_docstrings=True, frozen=True)

    id: str
    """The checksum of the normalised definition."""
    workflow_name: str
    """The workflow's `name`."""
    version: str | None
    """The file's `version:` text, verbatim."""
    definition: dict[str, Any]
    """The normalised workflow spec as JSON."""
    file: str
    """The file it was loaded from, relative to the watched folder."""
    created_at: datetime
    """When the daemon first saw this definition."""


class Workflow(BaseModel):
    """A workflow by name: which version is current and whether it still has a file."""

    model_config = ConfigDict(use_attribute_docstrings=True, frozen=True)

    name: str
    """The workflow's `name`, unique across the folder."""
    current_version_id: str
    """The version new runs use."""
    active: bool
    """False once its file is deleted; its history stays."""
    file: str
    """The file that defines it, relative to the watched folder."""
    updated_at: datetime
    """When the current version or the active flag last changed."""
