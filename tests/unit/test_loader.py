"""The daemon's loader: a folder → one result per file, named relative to the folder."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from hatchetd.workflows.loader import LoadedFile, LoadResult, load_directory

WORKFLOW = """
name: {name}
on: [user:create]
jobs:
  j:
    steps:
      - id: s
        action: echo:echo
"""


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip("\n"))


def test_each_file_gives_a_spec_and_checksum_or_errors(tmp_path: Path) -> None:
    write(tmp_path / "greet.yaml", WORKFLOW.format(name="greet"))
    write(tmp_path / "nested/bye.yml", WORKFLOW.format(name="bye"))
    write(tmp_path / "broken.yaml", "name: broken\njobs: {}\n")
    write(tmp_path / "README.md", "not a workflow")

    result = load_directory(tmp_path)

    assert isinstance(result, LoadResult)
    assert result.root == tmp_path
    assert [(f.path, f.ok) for f in result.files] == [
        (Path("broken.yaml"), False),
        (Path("greet.yaml"), True),
        (Path("nested/bye.yml"), True),
    ]
    greet = result.files[1]
    assert isinstance(greet, LoadedFile)
    assert greet.spec is not None
    assert greet.checksum == greet.spec.checksum()
    assert greet.errors == ()
    assert sorted(result.specs) == ["bye", "greet"]
    assert [str(e) for e in result.errors] == [
        "broken.yaml:2:7: jobs: a workflow needs at least one job"
    ]
    assert result.files[0].checksum is None


def test_a_name_clash_leaves_neither_file_usable(tmp_path: Path) -> None:
    write(tmp_path / "a.yaml", WORKFLOW.format(name="same"))
    write(tmp_path / "b/a.yaml", WORKFLOW.format(name="same"))

    result = load_directory(tmp_path)

    assert result.specs == {}
    assert [str(e) for e in result.errors] == [
        "a.yaml:1:7: name: workflow name 'same' is also defined in b/a.yaml",
        "b/a.yaml:1:7: name: workflow name 'same' is also defined in a.yaml",
    ]


def test_an_empty_folder_loads_nothing(tmp_path: Path) -> None:
    assert load_directory(tmp_path).files == ()


def test_a_missing_folder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        load_directory(tmp_path / "nope")
    write(tmp_path / "file.yaml", "x: 1\n")
    with pytest.raises(NotADirectoryError):
        load_directory(tmp_path / "file.yaml")
