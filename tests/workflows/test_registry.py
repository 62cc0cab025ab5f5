"""The registry keeps the store in line with the watched folder (design §3)."""

from __future__ import annotations

import itertools
import textwrap
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from hatchetd.store import Store, open_store
from hatchetd.workflows.registry import Registry
from tests.live import copy_example

NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


def workflow(name: str = "greet", action: str = "echo:echo", event: str = "user:create") -> str:
    return textwrap.dedent(
        f"""\
        name: {name}
        version: "1.10"
        on: [{event}]
        jobs:
          main:
            steps:
              - id: first
                action: {action}
        """
    )


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = open_store(f"sqlite:///{tmp_path / 'state' / 'h.db'}")
    yield s
    s.close()


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    root = tmp_path / ".hatchet"
    root.mkdir()
    return root


def registry(folder: Path, store: Store) -> Registry:
    """A registry whose clock moves a second per reload, so versions have distinct times."""
    ticks = itertools.count()
    return Registry(folder, store, lambda: NOW + timedelta(seconds=next(ticks)))


def test_a_new_file_becomes_an_active_workflow_with_its_version(folder: Path, store: Store) -> None:
    (folder / "greet.yaml").write_text(workflow())
    outcome = registry(folder, store).reload()

    assert [v.workflow_name for v in outcome.active] == ["greet"]
    assert outcome.new_versions == ("greet",)
    stored = store.get_workflow("greet")
    assert stored is not None
    assert stored.active
    assert stored.file == "greet.yaml"
    version = store.get_workflow_version(stored.current_version_id)
    assert version is not None
    assert version.version == "1.10"
    assert version.definition["triggers"]["events"] == ["user:create"]


def test_an_unchanged_folder_creates_no_new_version(folder: Path, store: Store) -> None:
    (folder / "greet.yaml").write_text(workflow())
    reg = registry(folder, store)
    reg.reload()
    again = reg.reload()

    assert again.new_versions == ()
    assert len(store.list_workflow_versions("greet")) == 1


def test_a_changed_file_makes_a_new_current_version_and_keeps_the_old(
    folder: Path, store: Store
) -> None:
    path = folder / "greet.yaml"
    path.write_text(workflow())
    reg = registry(folder, store)
    first = reg.reload().active[0]
    path.write_text(workflow(action="echo:other"))
    second = reg.reload().active[0]

    assert first.id != second.id
    assert [v.id for v in store.list_workflow_versions("greet")] == [first.id, second.id]
    current = store.get_workflow("greet")
    assert current is not None
    assert current.current_version_id == second.id


def test_a_broken_file_keeps_its_last_good_version_and_reports_its_error(
    folder: Path, store: Store
) -> None:
    path = folder / "greet.yaml"
    path.write_text(workflow())
    reg = registry(folder, store)
    good = reg.reload().active[0]
    path.write_text(workflow(action="not-an-action"))
    outcome = reg.reload()

    assert [v.id for v in outcome.active] == [good.id]
    assert outcome.kept == ("greet",)
    assert outcome.files[0].errors == (
        "greet.yaml:8:17: jobs.main.steps[0].action: must look like integration:verb",
    )
    stored = store.get_workflow("greet")
    assert stored is not None
    assert stored.active


def test_a_broken_new_file_activates_nothing(folder: Path, store: Store) -> None:
    (folder / "broken.yaml").write_text("name: [unclosed\n")
    outcome = registry(folder, store).reload()

    assert outcome.active == ()
    assert outcome.files[0].file == "broken.yaml"
    assert outcome.files[0].errors[0].startswith("broken.yaml:2:1: invalid YAML")
    assert store.list_workflows() == []


def test_a_deleted_file_deactivates_its_workflow_and_keeps_its_history(
    folder: Path, store: Store
) -> None:
    path = folder / "greet.yaml"
    path.write_text(workflow())
    reg = registry(folder, store)
    reg.reload()
    path.unlink()
    outcome = reg.reload()

    assert outcome.active == ()
    assert outcome.deactivated == ("greet",)
    stored = store.get_workflow("greet")
    assert stored is not None
    assert not stored.active
    assert len(store.list_workflow_versions("greet")) == 1


def test_a_file_restored_after_deletion_is_active_again(folder: Path, store: Store) -> None:
    path = folder / "greet.yaml"
    path.write_text(workflow())
    reg = registry(folder, store)
    reg.reload()
    path.unlink()
    reg.reload()
    path.write_text(workflow())
    outcome = reg.reload()

    assert [v.workflow_name for v in outcome.active] == ["greet"]
    stored = store.get_workflow("greet")
    assert stored is not None
    assert stored.active


def test_a_new_file_clashing_with_a_good_one_keeps_the_old_version_active(
    folder: Path, store: Store
) -> None:
    (folder / "a.yaml").write_text(workflow())
    reg = registry(folder, store)
    good = reg.reload().active[0]
    (folder / "b.yaml").write_text(workflow(action="echo:other"))
    outcome = reg.reload()

    assert [v.id for v in outcome.active] == [good.id]
    errors = {f.file: f.errors for f in outcome.files}
    assert errors["a.yaml"] == (
        "a.yaml:1:7: name: workflow name 'greet' is also defined in b.yaml",
    )
    assert errors["b.yaml"] == (
        "b.yaml:1:7: name: workflow name 'greet' is also defined in a.yaml",
    )


def test_renaming_a_workflow_deactivates_the_old_name(folder: Path, store: Store) -> None:
    path = folder / "greet.yaml"
    path.write_text(workflow(name="greet"))
    reg = registry(folder, store)
    reg.reload()
    path.write_text(workflow(name="welcome"))
    outcome = reg.reload()

    assert [v.workflow_name for v in outcome.active] == ["welcome"]
    assert outcome.deactivated == ("greet",)


def test_the_registry_state_survives_a_restart(folder: Path, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'state' / 'h.db'}"
    (folder / "greet.yaml").write_text(workflow())
    first = open_store(url)
    version = registry(folder, first).reload().active[0]
    first.close()

    second = open_store(url)
    try:
        outcome = registry(folder, second).reload()
        assert [v.id for v in outcome.active] == [version.id]
        assert outcome.new_versions == ()
    finally:
        second.close()


def test_the_example_folder_loads(store: Store, tmp_path: Path) -> None:
    # A copy of what ships: a user's own workflows in .hatchet/ are theirs to break.
    root = copy_example(tmp_path / ".hatchet")
    outcome = Registry(root, store, lambda: NOW).reload()

    assert [v.workflow_name for v in outcome.active] == ["post-user-sign-up"]
    assert all(not f.errors for f in outcome.files)
