"""Suite-wide: the tests marked `long` start first, one per pytest-xdist worker, and get a
longer timeout; without PostgreSQL, the tests that need it are summarised in one line.

pytest-xdist's work stealing hands each worker one contiguous slice of the collection; a test
that waits a minute (a 60 s database cut, a cron minute boundary) at the end of a slice would
set the suite's wall time by itself. Placing the long tests, longest first, at the head of the
slices lets the short ones fill in around them.
"""

from __future__ import annotations

import pytest

PG_URL_VARIABLE = "HATCHET_TEST_DATABASE_URL"
PG_NOT_SET = f"{PG_URL_VARIABLE} is not set"
"""How every skip for want of PostgreSQL begins (tests/store, tests/engine, tests/acceptance)."""

PG_SKIPS_SUMMARY = (
    f"PostgreSQL tests skipped: set {PG_URL_VARIABLE}=postgresql://USER@HOST:PORT/DATABASE "
    "(a server this user may create databases on) to run them"
)

LONG_TIMEOUT_FACTOR = 3
"""A `long(seconds)` test times out after this many times its seconds (if over the default)."""


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    _give_long_tests_more_time(config, items)
    _start_long_tests_first(config, items)


def _long_seconds(item: pytest.Item) -> float:
    return float(item.get_closest_marker("long").args[0])  # type: ignore[union-attr]


def _give_long_tests_more_time(config: pytest.Config, items: list[pytest.Item]) -> None:
    default = float(config.getini("timeout") or 0)
    for item in items:
        if item.get_closest_marker("long") is None or item.get_closest_marker("timeout"):
            continue
        seconds = LONG_TIMEOUT_FACTOR * _long_seconds(item)
        if default and seconds > default:
            item.add_marker(pytest.mark.timeout(seconds))


def _start_long_tests_first(config: pytest.Config, items: list[pytest.Item]) -> None:
    workers = int(getattr(config, "workerinput", {}).get("workercount", 1))
    long = [item for item in items if item.get_closest_marker("long") is not None]
    if workers < 2 or not long:
        return
    long.sort(key=lambda item: -_long_seconds(item))
    short = [item for item in items if item.get_closest_marker("long") is None]
    # The scheduler cuts the collection into `workers` contiguous slices of these sizes.
    sizes, left = [], len(items)
    for k in range(workers):
        sizes.append(left // (workers - k))
        left -= sizes[-1]
    ordered: list[pytest.Item] = []
    rest = iter(short)
    for k, size in enumerate(sizes):
        head = long[k::workers]
        ordered.extend(head)
        ordered.extend(item for _, item in zip(range(size - len(head)), rest, strict=False))
    ordered.extend(rest)
    items[:] = ordered


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Fold every skip for want of PostgreSQL into one line of the short summary (`-rs` would
    list each test module's reason, ~90 lines): the reports get one location and one reason,
    which pytest's summary then counts as one. Other skips keep their own lines."""
    for report in terminalreporter.stats.get("skipped", []):
        longrepr = getattr(report, "longrepr", None)
        if isinstance(longrepr, tuple) and len(longrepr) == 3 and PG_NOT_SET in str(longrepr[2]):
            report.longrepr = (__file__, None, PG_SKIPS_SUMMARY)
