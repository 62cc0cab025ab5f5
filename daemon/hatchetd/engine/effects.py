"""What the engine wants done outside itself once its writes are committed.

Command methods never talk to sockets: they append effects to the outbox, and the runtime
drains it only after the batch they ran in has committed, so a worker is never sent a step run
that the store might still roll back.
"""

from __future__ import annotations

from dataclasses import dataclass

from hatchetd.contracts.worker_protocol import Assign, Cancel


@dataclass(frozen=True)
class SendAssign:
    """Send `message` (run this step run) to the worker `worker_id`."""

    worker_id: str
    message: Assign


@dataclass(frozen=True)
class SendCancel:
    """Send `message` (stop this step run) to the worker `worker_id`."""

    worker_id: str
    message: Cancel


Effect = SendAssign | SendCancel
"""Anything the engine asks the runtime to do after a commit."""


class Outbox:
    """The effects of the commands run since the last drain, in the order they were made."""

    def __init__(self) -> None:
        self._effects: list[Effect] = []

    def emit(self, effect: Effect) -> None:
        """Queue an effect."""
        self._effects.append(effect)

    def drain(self) -> list[Effect]:
        """Return the queued effects and forget them."""
        effects, self._effects = self._effects, []
        return effects

    def clear(self) -> None:
        """Drop the queued effects: their batch was rolled back."""
        self._effects.clear()
