"""The engine's home in the daemon: its thread, batched commits, and riding out outages."""

from __future__ import annotations

from hatchetd.runtime.delivery import Command
from hatchetd.runtime.faults import Faults
from hatchetd.runtime.outage import Outage
from hatchetd.runtime.runtime import Runtime

__all__ = ["Command", "Faults", "Outage", "Runtime"]
