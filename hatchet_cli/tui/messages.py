"""The messages the TUI's parts send each other (Textual messages: the one thread-safe way in).

The change-stream thread posts `DaemonChanged` and `ConnectionState` to the app; views post
`ShowRun` (the app shows that run's trace), `EventReplayed` (after a replay the daemon took) and
`RunStarted` (after a run started by hand).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.message import Message

if TYPE_CHECKING:
    from hatchetd.contracts.changes import Change


class DaemonChanged(Message):
    """The daemon committed a write (one `Change` document of the change stream)."""

    def __init__(self, change: Change) -> None:
        super().__init__()
        self.change = change
        """The change: seq, kind, id, run_id, status, committed_at, record."""


class ConnectionState(Message):
    """The change stream opened (`connected`) or was lost (not connected, and `why`)."""

    def __init__(self, connected: bool, why: str) -> None:
        super().__init__()
        self.connected = connected
        """True once the daemon accepted the subscription: reread the state now."""
        self.why = why
        """What happened, in words (the error when the daemon went away)."""


class ShowRun(Message):
    """Show this workflow run's trace (posted by the runs view and the event detail)."""

    def __init__(self, run_id: str) -> None:
        super().__init__()
        self.run_id = run_id
        """The workflow run's id."""


class EventReplayed(Message):
    """The daemon replayed an event: `new_event_ids` are the events the replay pushed."""

    def __init__(self, event_id: str, new_event_ids: list[str], edited: bool) -> None:
        super().__init__()
        self.event_id = event_id
        """The event that was replayed."""
        self.new_event_ids = new_event_ids
        """The new events, linked to the original (`replayed_from_id`)."""
        self.edited = edited
        """Whether the replay carried edited data instead of the original payload."""


class RunStarted(Message):
    """The daemon started a run of a workflow by hand (`r` in the workflows view)."""

    def __init__(self, workflow_name: str, run_id: str) -> None:
        super().__init__()
        self.workflow_name = workflow_name
        """The workflow started."""
        self.run_id = run_id
        """The new workflow run's id."""
