"""The one shape of every error the HTTP API answers (design §7).

`{"error": {"code": "not_found", "message": "no event with id 'nope'"}}`: `code` is for programs
(stable, documented in docs/api.md), `message` for people (it may change wording).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class ErrorDetail(BaseModel):
    """What went wrong."""

    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)

    code: str
    """A stable, machine-readable code: `not_found`, `payload_too_large`, `database_locked`, …;
    docs/api.md lists every code with its status and when it is given."""
    message: str
    """What happened and what to do about it, for a person to read."""


class ErrorBody(BaseModel):
    """The body of every 4xx and 5xx answer."""

    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)

    error: ErrorDetail
    """The error."""
