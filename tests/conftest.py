"""Suite-wide: the tests marked `long` start first, one per pytest-xdist worker.

pytest-xdist's work stealing hands each worker one contiguous slice of the collection; a test
that waits a minute (a 60 s database cut, a cron minute boundary) at the end of a slice would
set the suite's wall time by itself. Placing the long tests, longest first, at the head of the
slices lets the short ones fill in around them.
"""

from __future__ import annotations

import pytest


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    workers = int(getattr(config, "workerinput", {}).get("workercount", 1))
    long = [item for item in items if item.get_closest_marker("long") is not None]
    if workers < 2 or not long:
        return
    long.sort(key=lambda item: -float(item.get_closest_marker("long").args[0]))  # type: ignore[union-attr]
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
