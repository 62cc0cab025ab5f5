"""The registry: the watched folder's files made into stored workflow versions.

Every reload reads the whole folder (it holds a handful of small files) and reconciles the store
with it, so a restart, a missed filesystem event or an edit made while the daemon was down all
end in the same state: the folder is the truth, the store keeps the history.

On a shared store (several daemons on one PostgreSQL database, each watching its own copy of the
folder) the store is the truth and each folder a way to change it: a version is its content's
checksum, so the same file is one version whoever loads it; a daemon's first reload writes its
whole folder (a rolling upgrade starts daemons with the new files), later reloads write only
the files that changed since the previous one, and a workflow is deactivated only by a daemon
that saw its file go (or by the first reload of a daemon alone on the store). A daemon whose
folder differs from what the store has active reports it (`Registry.drift`) instead of
overwriting it again and again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
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

    def __init__(
        self,
        root: Path,
        store: Store,
        now: Callable[[], datetime],
        *,
        alone: Callable[[], bool] = lambda: True,
    ) -> None:
        """`alone` tells whether this daemon is the only one serving the store now (it is
        asked at the first reload on a shared store)."""
        self._root = root
        self._store = store
        self._now = now
        self._alone = alone
        self._seen: dict[str, str] | None = None
        """Checksum of each workflow's file at the previous reload (None before the first)."""

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
        seen = self._seen
        shared = self._store.shared
        with self._store.batch():
            stored = {w.name: w for w in self._store.list_workflows()}
            mine: dict[str, str] = {}
            new_versions: list[str] = []
            for f in loaded.files:
                if f.spec is None or f.checksum is None:
                    continue
                mine[f.spec.name] = f.checksum
                if shared and seen is not None and seen.get(f.spec.name) == f.checksum:
                    continue  # unchanged here: what the store has may be another daemon's newer
                version = self._store.save_workflow_version(_version_of(f, f.spec, f.checksum, now))
                previous = stored.get(f.spec.name)
                if (
                    previous is None
                    or not previous.active
                    or previous.current_version_id != version.id
                    or previous.file != version.file
                ):
                    workflow = Workflow(
                        name=version.workflow_name,
                        current_version_id=version.id,
                        active=True,
                        file=version.file,
                        updated_at=now,
                    )
                    self._store.save_workflow(workflow)
                    stored[workflow.name] = workflow
                    new_versions.append(version.workflow_name)
            broken = {_posix(f) for f in loaded.files if not f.ok}
            kept: list[str] = []
            deactivated: list[str] = []
            may_deactivate = self._may_deactivate(shared, seen)
            for workflow in list(stored.values()):
                if not workflow.active or workflow.name in mine:
                    continue
                if workflow.file in broken:
                    kept.append(workflow.name)
                    # Its file is still here, only broken: a later deletion is this daemon's.
                    mine[workflow.name] = (seen or {}).get(
                        workflow.name, workflow.current_version_id
                    )
                    continue
                if not may_deactivate(workflow.name):
                    continue  # another daemon's: reported as drift, not undone
                inactive = workflow.model_copy(update={"active": False, "updated_at": now})
                self._store.save_workflow(inactive)
                stored[workflow.name] = inactive
                deactivated.append(workflow.name)
            active = self._active_versions(stored.values())
        self._seen = mine
        return ReloadOutcome(
            active=active,
            files=tuple(_status(f) for f in loaded.files),
            new_versions=tuple(new_versions),
            deactivated=tuple(sorted(deactivated)),
            kept=tuple(
                sorted(name for name in kept if any(v.workflow_name == name for v in active))
            ),
        )

    def drift(self) -> list[str]:
        """How this daemon's folder, as last reloaded, differs from what the store has active
        (another daemon with other files changed it): one line per workflow, empty if none."""
        seen = self._seen or {}
        lines: list[str] = []
        for workflow in self._store.list_workflows():
            checksum = seen.get(workflow.name)
            if workflow.active and checksum is None:
                lines.append(f"{workflow.name}: active in the store, no file for it here")
            elif checksum is not None and not workflow.active:
                lines.append(f"{workflow.name}: a file here, inactive in the store")
            elif checksum is not None and checksum != workflow.current_version_id:
                lines.append(
                    f"{workflow.name}: the file here is version {checksum[:12]}, the store runs "
                    f"{workflow.current_version_id[:12]}"
                )
        return lines

    def _may_deactivate(self, shared: bool, seen: dict[str, str] | None) -> Callable[[str], bool]:
        """Which active workflows with no file here this reload deactivates."""
        if not shared:
            return lambda name: True  # the folder is the truth
        if seen is None:
            alone = self._alone()
            return lambda name: alone  # a first reload: only when no other daemon serves
        return lambda name: name in seen  # its file was here at the previous reload

    def _active_versions(self, workflows: Iterable[Workflow]) -> tuple[WorkflowVersion, ...]:
        versions = []
        for workflow in sorted(workflows, key=lambda w: w.name):
            if workflow.active:
                version = self._store.get_workflow_version(workflow.current_version_id)
                if version is not None:
                    versions.append(version)
        return tuple(versions)


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
