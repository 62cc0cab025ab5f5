"""Commands the engine refuses; each docstring is the default message.

An `EngineError` is raised before the command has written anything, so the runtime can answer
the caller with it and commit the rest of the batch.
"""

from __future__ import annotations

from collections.abc import Sequence


class EngineError(Exception):
    """The engine refused the command."""

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or self.__doc__ or "")


class IdempotencyConflict(EngineError):
    """This idempotency key was already used for an event with other data."""

    def __init__(self, key: str, event_id: str | None, what: str = "data") -> None:
        by = f"event {event_id}" if event_id else "another event of the same push"
        super().__init__(
            f"idempotency key {key!r} was already used by {by} with other {what}; "
            "push the same key and data to get that event back, or use a new key"
        )
        self.key = key
        self.event_id = event_id


class EventNotFound(EngineError):
    """No event has this id."""

    def __init__(self, event_ids: Sequence[str]) -> None:
        listed = ", ".join(repr(i) for i in event_ids)
        noun = "id" if len(event_ids) == 1 else "ids"
        super().__init__(f"no event with {noun} {listed}; nothing was replayed")
        self.event_ids = tuple(event_ids)


class PayloadEditFailed(EngineError):
    """A replay's edit of a payload cannot be made."""

    def __init__(self, event_id: str, problem: str) -> None:
        super().__init__(f"event {event_id}: {problem}; nothing was replayed")
        self.event_id = event_id


class RunNotFound(EngineError):
    """No workflow run has this id."""

    def __init__(self, run_id: str) -> None:
        super().__init__(f"no run with id {run_id!r}")
        self.run_id = run_id


class RunIdempotencyConflict(IdempotencyConflict):
    """This idempotency key was already used to start a run of another workflow or with other
    input."""

    def __init__(self, key: str, run_id: str, what: str) -> None:
        EngineError.__init__(
            self,
            f"idempotency key {key!r} was already used by run {run_id} with {what}; start the "
            "same workflow with the same key and input to get that run back, or use a new key",
        )
        self.key = key
        self.event_id = None
        self.run_id = run_id


class WorkflowNotFound(EngineError):
    """No workflow has this name."""

    def __init__(self, name: str) -> None:
        super().__init__(f"no workflow named {name!r}")
        self.name = name


class WorkflowInactive(EngineError):
    """The workflow's file was deleted: it has no active version to run."""

    def __init__(self, name: str, file: str) -> None:
        super().__init__(
            f"workflow {name!r} is inactive: its file {file} was deleted, so it has no version "
            "to run; put the file back in the daemon's folder to run it again"
        )
        self.name = name
        self.file = file


class RunNotFinal(EngineError):
    """The run has not ended: only a final run can be rerun."""

    def __init__(self, run_id: str, status: str) -> None:
        super().__init__(
            f"run {run_id} is {status}: only a run that has ended can be rerun; wait for it or "
            "cancel it first"
        )
        self.run_id = run_id


class NothingFailed(EngineError):
    """A rerun from the failed steps of a run in which no step failed."""

    def __init__(self, run_id: str) -> None:
        super().__init__(
            f"run {run_id} has no failed or cancelled step to rerun from; rerun it whole instead"
        )
        self.run_id = run_id


class RerunIdempotencyConflict(RunIdempotencyConflict):
    """This idempotency key was already used to start another run."""

    def __init__(self, key: str, run_id: str, original_id: str) -> None:
        EngineError.__init__(
            self,
            f"idempotency key {key!r} was already used by run {run_id}, which is not a rerun of "
            f"run {original_id}; rerun with a new key",
        )
        self.key = key
        self.event_id = None
        self.run_id = run_id
