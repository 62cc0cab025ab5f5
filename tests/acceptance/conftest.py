"""Fixtures for the acceptance tests: a real hatchetd per test, on SQLite and on PostgreSQL."""

from __future__ import annotations

from process_fixtures import daemon, database_url, folder, postgres_url, workers

__all__ = ["daemon", "database_url", "folder", "postgres_url", "workers"]
