"""A folder of workflow files → one result per file: its spec and checksum, or its errors.

A thin daemon-side wrapper over `hatchetd.contracts.parse`, which `hatchet workflows validate` uses
too, so the daemon and the CLI judge a file the same way. Reading is synchronous and cheap (a
folder holds a handful of small files); the watcher calls it again on every change.
"""

from __future__ import annotations

import errno
from dataclasses import dataclass
from pathlib import Path

from hatchetd.contracts.parse import WorkflowError, discover, load_files
from hatchetd.contracts.spec import WorkflowSpec
from hatchetd.template_checks import check_workflow_templates

__all__ = ["LoadResult", "LoadedFile", "load_directory"]


@dataclass(frozen=True)
class LoadedFile:
    """One workflow file: a usable spec with its checksum, or the errors that stop it."""

    path: Path
    """The file, relative to the folder that was loaded."""
    spec: WorkflowSpec | None
    """The validated, normalised workflow; None when the file has errors."""
    checksum: str | None
    """The checksum that identifies this version of the workflow; None when there is no spec."""
    errors: tuple[WorkflowError, ...]
    """Every problem in the file, sorted by position (their `file` is `path` in POSIX form)."""

    @property
    def ok(self) -> bool:
        """True when the file gave a usable spec."""
        return self.spec is not None


@dataclass(frozen=True)
class LoadResult:
    """Every workflow file under a folder, in sorted path order."""

    root: Path
    """The folder that was loaded."""
    files: tuple[LoadedFile, ...]
    """One entry per `*.yaml` / `*.yml` file found."""

    @property
    def specs(self) -> dict[str, LoadedFile]:
        """The usable files by workflow name (names are unique: a clash makes both unusable)."""
        return {f.spec.name: f for f in self.files if f.spec is not None}

    @property
    def errors(self) -> list[WorkflowError]:
        """The errors of every file, file by file."""
        return [error for f in self.files for error in f.errors]


def load_directory(root: Path) -> LoadResult:
    """Read every workflow file under `root` (see `hatchetd.contracts.parse.discover`).

    Errors name files relative to `root`. Templates are compiled and their `steps.<id>` checked
    (`hatchetd.template_checks`), as `hatchet workflows validate` does. Two files with the same
    `name` both get an error and no spec. Raises FileNotFoundError when `root` does not exist,
    NotADirectoryError when it is a file.
    """
    if not root.is_dir():
        if root.exists():
            raise NotADirectoryError(errno.ENOTDIR, "not a folder", str(root))
        raise FileNotFoundError(errno.ENOENT, "no such folder", str(root))
    parsed = load_files(discover([root]), root=root, check=check_workflow_templates)
    return LoadResult(
        root=root,
        files=tuple(
            LoadedFile(
                path=Path(p.file),
                spec=p.spec,
                checksum=p.checksum,
                errors=p.errors,
            )
            for p in parsed
        ),
    )
