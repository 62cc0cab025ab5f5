"""Daemons that share a database, each with its own copy of the workflow folder, agree on the
workflows (issue 11, item 5): one version per content, no flapping, differences reported."""

from __future__ import annotations

import itertools
import textwrap
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest

from hatchetd.store import Store
from hatchetd.workflows.registry import Registry
from tests.store.conftest import T0


def workflow(name: str, action: str = "echo:echo") -> str:
    return textwrap.dedent(
        f"""\
        name: {name}
        on: [user:create]
        jobs:
          main:
            steps:
              - id: first
                action: {action}
        """
    )


@pytest.fixture
def shared(database_url: str, open_stores: Callable[[str], Store], backend: str) -> Store:
    if backend != "postgres":
        pytest.skip("a SQLite file serves one daemon: its folder is the truth")
    return open_stores(database_url)


class Replica:
    """A daemon's registry on the shared store, over a folder of its own."""

    def __init__(self, root: Path, store: Store, *, alone: bool = False) -> None:
        root.mkdir(parents=True)
        self.root = root
        ticks = itertools.count()
        self.registry = Registry(
            root, store, lambda: T0 + timedelta(seconds=next(ticks)), alone=lambda: alone
        )

    def write(self, name: str, text: str) -> None:
        (self.root / f"{name}.yaml").write_text(text)


def test_the_same_file_on_every_replica_is_one_version_that_never_flaps(
    shared: Store, tmp_path: Path
) -> None:
    a, b = Replica(tmp_path / "a", shared, alone=True), Replica(tmp_path / "b", shared)
    for replica in (a, b):
        replica.write("greet", workflow("greet"))
    a.registry.reload()
    before = shared.get_workflow("greet")

    for _ in range(3):
        b.registry.reload()
        a.registry.reload()

    assert len(shared.list_workflow_versions("greet")) == 1
    assert shared.get_workflow("greet") == before  # not even its updated_at moved
    assert a.registry.drift() == b.registry.drift() == []


def test_a_replica_with_another_copy_reports_it_instead_of_undoing_the_change(
    shared: Store, tmp_path: Path
) -> None:
    a, b = Replica(tmp_path / "a", shared, alone=True), Replica(tmp_path / "b", shared)
    a.write("greet", workflow("greet"))
    b.write("greet", workflow("greet"))
    a.registry.reload()
    b.registry.reload()

    a.write("greet", workflow("greet", action="echo:shout"))  # edited on A only
    a.registry.reload()
    newest = shared.get_workflow("greet")
    outcome = b.registry.reload()  # B's file did not change: B leaves the store alone

    assert newest is not None
    assert shared.get_workflow("greet") == newest
    assert [v.id for v in outcome.active] == [newest.current_version_id]
    (line,) = b.registry.drift()
    assert line.startswith("greet: the file here is version ")
    assert a.registry.drift() == []


def test_a_workflow_only_another_replica_has_stays_active(shared: Store, tmp_path: Path) -> None:
    a, b = Replica(tmp_path / "a", shared, alone=True), Replica(tmp_path / "b", shared)
    a.write("greet", workflow("greet"))
    a.registry.reload()

    outcome = b.registry.reload()  # B starts with an empty folder while A serves

    stored = shared.get_workflow("greet")
    assert stored is not None
    assert stored.active
    assert [v.workflow_name for v in outcome.active] == ["greet"]  # B matches it too
    assert b.registry.drift() == ["greet: active in the store, no file for it here"]


def test_a_replica_that_sees_a_file_go_deactivates_its_workflow(
    shared: Store, tmp_path: Path
) -> None:
    a, b = Replica(tmp_path / "a", shared, alone=True), Replica(tmp_path / "b", shared)
    for replica in (a, b):
        replica.write("greet", workflow("greet"))
        replica.registry.reload()

    (a.root / "greet.yaml").unlink()
    a.registry.reload()

    stored = shared.get_workflow("greet")
    assert stored is not None
    assert not stored.active
    assert b.registry.drift() == ["greet: a file here, inactive in the store"]


def test_the_first_daemon_alone_on_the_store_makes_it_match_its_folder(
    shared: Store, tmp_path: Path
) -> None:
    a = Replica(tmp_path / "a", shared, alone=True)
    a.write("greet", workflow("greet"))
    a.registry.reload()
    # All daemons stopped; the file is deleted; a daemon starts alone.
    alone = Replica(tmp_path / "later", shared, alone=True)

    outcome = alone.registry.reload()

    assert outcome.deactivated == ("greet",)


def test_a_file_broken_then_deleted_here_deactivates_its_workflow(
    shared: Store, tmp_path: Path
) -> None:
    a = Replica(tmp_path / "a", shared, alone=True)
    a.write("greet", workflow("greet"))
    a.registry.reload()
    a.write("greet", workflow("greet", action="broken"))
    assert a.registry.reload().kept == ("greet",)

    (a.root / "greet.yaml").unlink()

    assert a.registry.reload().deactivated == ("greet",)
