"""The registry: the watched folder's files made into stored workflow versions.

Every reload reads the whole folder (it holds a handful of small files) and reconciles the store
with it, so a restart, a missed filesystem event or an edit made while the daemon was down all
end in the same state: the folder is the truth, the store keeps the history.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from hatchetd.contracts.spec import WorkflowSpec
from hatchetd.contracts.workflows import Workflow, WorkflowVersion
from hatchetd.store import Store
from hatchetd.workflows.loader import LoadedFile, load_directory


@dataclass(frozen=True)
class FileStatus:
    """How one file fared in the last reload."""

    file: str
    """The file, relative to the watched folder, in POSIX form."""
    workflow_name: str | None
    """The workflow it defines, when it could be read."""
    errors: tuple[str, ...]
    """`file:line:col: key.path: message` for each problem; empty when the file is good."""


@dataclass(frozen=True)
class ReloadOutcome:
    """What a reload changed and what is active now."""

    active: tuple[WorkflowVersion, ...]
    """The current version of every active workflow, by name."""
    files: tuple[FileStatus, ...]
    """Every file found, good or broken."""
    new_versions: tuple[str, ...] = ()
    """Names of the workflows that got a new current version in this reload."""
    deactivated: tuple[str, ...] = ()
    """Names of the workflows whose file is gone."""
    kept: tuple[str, ...] = field(default=())
    """Names of the workflows whose file broke: they keep their last good version."""


class Registry:
    """Reconciles the store's workflows with the files under `root`."""

    def __init__(self, root: Path, store: Store, now: Callable[[], datetime]) -> None:
        self._root = root
        self._store = store
        self._now = now

    @property
    def root(self) -> Path:
        """The watched folder."""
        return self._root

    def reload(self) -> ReloadOutcome:
        """Read the folder and bring the store in line with it (one transaction).

        A good file whose checksum is new becomes its workflow's current version; a broken file
        keeps its workflow's last good version active; a workflow no file defines any more is
        deactivated (its versions and runs stay).
        """
        loaded = load_directory(self._root)
        now = self._now()
        with self._store.batch():
            stored = {w.name: w for w in self._store.list_workflows()}
            active: dict[str, WorkflowVersion] = {}
            new_versions: list[str] = []
            for f in loaded.files:
                if f.spec is None or f.checksum is None:
                    continue
                version = self._store.save_workflow_version(_version_of(f, f.spec, f.checksum, now))
                previous = stored.get(f.spec.name)
                if (
                    previous is None
                    or not previous.active
                    or previous.current_version_id != version.id
                    or previous.file != version.file
                ):
                    self._store.save_workflow(
                        Workflow(
                            name=version.workflow_name,
                            current_version_id=version.id,
                            active=True,
                            file=version.file,
                            updated_at=now,
                        )
                    )
                    new_versions.append(version.workflow_name)
                active[version.workflow_name] = version
            broken = {_posix(f) for f in loaded.files if not f.ok}
            kept: list[str] = []
            deactivated: list[str] = []
            for workflow in stored.values():
                if not workflow.active or workflow.name in active:
                    continue
                if workflow.file in broken:
                    last_good = self._store.get_workflow_version(workflow.current_version_id)
                    if last_good is not None:
                        active[workflow.name] = last_good
                        kept.append(workflow.name)
                        continue
                self._store.save_workflow(
                    workflow.model_copy(update={"active": False, "updated_at": now})
                )
                deactivated.append(workflow.name)
        return ReloadOutcome(
            active=tuple(active[name] for name in sorted(active)),
            files=tuple(_status(f) for f in loaded.files),
            new_versions=tuple(new_versions),
            deactivated=tuple(sorted(deactivated)),
            kept=tuple(sorted(kept)),
        )


def _posix(f: LoadedFile) -> str:
    return f.path.as_posix()


def _version_of(f: LoadedFile, spec: WorkflowSpec, checksum: str, now: datetime) -> WorkflowVersion:
    return WorkflowVersion(
        id=checksum,
        workflow_name=spec.name,
        version=spec.version,
        definition=spec.definition(),
        file=_posix(f),
        created_at=now,
    )


def _status(f: LoadedFile) -> FileStatus:
    return FileStatus(
        file=_posix(f),
        workflow_name=f.spec.name if f.spec is not None else None,
        errors=tuple(str(e) for e in f.errors),
    )
