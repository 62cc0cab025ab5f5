"""The HTTP API under `/api/v1` and the worker WebSocket; `create_app()` builds it."""

from __future__ import annotations

from hatchetd.api.app import create_app

__all__ = ["create_app"]
