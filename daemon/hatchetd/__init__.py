"""hatchetd: the daemon that stores events and runs, and schedules workflows onto workers."""

from __future__ import annotations

__version__ = "0.1.0"
