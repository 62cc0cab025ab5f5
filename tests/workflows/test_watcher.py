"""The watcher notices saved, new and deleted workflow files quickly (design §3: under 0.5 s)."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from watchfiles import Change

from hatchetd.workflows.watcher import is_workflow_file, watch_folder

DEADLINE = 5.0  # generous for a loaded CI machine; the latency target is measured in bench/


async def watch_and(root: Path, act: list[tuple[str, str | None]]) -> list[float]:
    """Start watching, then for each (name, text) write it (or delete it when text is None) and
    wait for the reload it causes; return each reload's latency in seconds."""
    reloads: asyncio.Queue[float] = asyncio.Queue()
    stop, ready = asyncio.Event(), asyncio.Event()

    async def on_change() -> None:
        await reloads.put(time.perf_counter())

    task = asyncio.create_task(watch_folder(root, on_change, stop=stop, ready=ready))
    await asyncio.wait_for(ready.wait(), DEADLINE)
    latencies = []
    try:
        for name, text in act:
            started = time.perf_counter()
            if text is None:
                (root / name).unlink()
            else:
                (root / name).write_text(text)
            seen = await asyncio.wait_for(reloads.get(), DEADLINE)
            latencies.append(seen - started)
    finally:
        stop.set()
        await asyncio.wait_for(task, DEADLINE)
    return latencies


def test_new_changed_and_deleted_files_each_cause_a_reload(tmp_path: Path) -> None:
    latencies = asyncio.run(
        watch_and(
            tmp_path,
            [("a.yaml", "name: a\n"), ("a.yaml", "name: b\n"), ("a.yaml", None)],
        )
    )
    assert len(latencies) == 3


def test_files_in_subfolders_are_watched(tmp_path: Path) -> None:
    (tmp_path / "team").mkdir()
    assert len(asyncio.run(watch_and(tmp_path, [("team/x.yml", "name: x\n")]))) == 1


def test_a_file_written_as_its_folder_is_created_is_seen(tmp_path: Path) -> None:
    """The OS watch on a new folder comes after the folder: the folder's event reloads."""

    async def scenario() -> list[bool]:
        found: list[bool] = []
        reloaded = asyncio.Event()

        async def on_change() -> None:
            reloaded.set()

        stop, ready = asyncio.Event(), asyncio.Event()
        task = asyncio.create_task(watch_folder(tmp_path, on_change, stop=stop, ready=ready))
        await asyncio.wait_for(ready.wait(), DEADLINE)
        try:
            for i in range(10):
                reloaded.clear()
                (tmp_path / f"team{i}").mkdir()
                (tmp_path / f"team{i}" / "x.yaml").write_text("name: x\n")
                try:
                    await asyncio.wait_for(reloaded.wait(), DEADLINE)
                    found.append(True)
                except TimeoutError:
                    found.append(False)
        finally:
            stop.set()
            await asyncio.wait_for(task, DEADLINE)
        return found

    assert asyncio.run(scenario()) == [True] * 10


def test_only_visible_yaml_files_count() -> None:
    assert is_workflow_file(Change.modified, "/w/.hatchet/a.yaml")
    assert is_workflow_file(Change.deleted, "/w/.hatchet/sub/b.yml")
    assert not is_workflow_file(Change.added, "/w/.hatchet/notes.txt")
    assert not is_workflow_file(Change.added, "/w/.hatchet/.a.yaml.swp")
    assert not is_workflow_file(Change.added, "/w/.hatchet/.#a.yaml")
    assert is_workflow_file(Change.deleted, "/w/.hatchet/team")  # a folder (or so it seems)
    assert not is_workflow_file(Change.deleted, "/w/.hatchet/notes.txt")
    assert not is_workflow_file(Change.added, "/w/.hatchet/.git")
