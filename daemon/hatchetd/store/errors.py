"""Errors the store raises for the engine to act on; each docstring is the default message."""

from __future__ import annotations


class StoreError(Exception):
    """The store could not do what was asked."""

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or self.__doc__ or "")


class StoreUnavailable(StoreError):
    """The database cannot be opened or reached."""


class IdempotencyKeyTaken(StoreError):
    """An event with this idempotency key already exists."""

    def __init__(self, key: str) -> None:
        super().__init__(f"an event with idempotency key {key!r} already exists")
        self.key = key


class CronTickTaken(StoreError):
    """A run for this workflow and cron tick already exists."""

    def __init__(self, workflow_name: str, tick: str) -> None:
        super().__init__(f"workflow {workflow_name!r} already has a run for the tick at {tick}")
        self.workflow_name = workflow_name
        self.tick = tick


class UnsupportedDatabase(StoreError):
    """The database URL names a database this store does not support."""
