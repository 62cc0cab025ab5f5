"""Fixtures for the reliability tests: a real hatchetd per test, on SQLite and on PostgreSQL,
put through faults (issue 10; docs/guarantees.md reports what they measure)."""

from __future__ import annotations

import pytest
from process_fixtures import daemon, database_url, folder, postgres_url, workers

__all__ = ["daemon", "database_url", "folder", "postgres_url", "workers"]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/reliability/" in str(item.path):
            item.add_marker(pytest.mark.acceptance)
