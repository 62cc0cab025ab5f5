"""Watches the workflow folder and calls back when a workflow file is added, changed or removed."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path

from watchfiles import Change, awatch

WORKFLOW_SUFFIXES = (".yaml", ".yml")

# watchfiles waits 1.6 s for changes to settle by default; design §3 wants a saved file live in
# under half a second, and editors finish a save (write, rename) within a few milliseconds.
DEBOUNCE_MS = 50
STEP_MS = 20


def is_workflow_file(change: Change, path: str) -> bool:
    """True for `*.yaml` / `*.yml` files that are not hidden (editors' temporary files are), and
    for folders coming and going.

    A file written the moment its new folder is created can land before the OS watch on that
    folder is in place, and then no event names it; the folder's own event does, and the reload
    it causes scans the folder and finds the file. A deleted path cannot be asked whether it
    was a folder, so deletions of suffix-less names count too (a spare reload is cheap).
    """
    name = Path(path).name
    if name.startswith("."):
        return False
    if path.endswith(WORKFLOW_SUFFIXES):
        return True
    if change == Change.deleted:
        return not Path(name).suffix
    return change == Change.added and Path(path).is_dir()


async def watch_folder(
    root: Path,
    on_change: Callable[[], Awaitable[None]],
    *,
    stop: asyncio.Event,
    ready: asyncio.Event | None = None,
) -> None:
    """Call `on_change` after each burst of changes to workflow files under `root`, until `stop`.

    `on_change` reloads the whole folder, so which files changed does not matter and a burst of
    changes costs one reload. `ready` is set once the watch is in place.
    """
    watcher = awatch(
        root,
        watch_filter=is_workflow_file,
        debounce=DEBOUNCE_MS,
        step=STEP_MS,
        stop_event=stop,
        yield_on_timeout=False,
    )
    if ready is not None:
        # Runs on the loop's next turn: by then the first iteration below has put the OS watch
        # in place, which awatch does synchronously before its first await.
        asyncio.get_running_loop().call_soon(ready.set)
    async for _changes in watcher:
        await on_change()
