"""The engine's view of the workflows: what is active now, and any version a run started with.

The registry owns the folder and saves versions to the store; it hands the engine the current
version of every active workflow through `set_active`. Runs keep the version they started with,
so the catalog also parses any version by id on demand (from the store on a miss) and keeps it:
versions are never changed or deleted, so a cached one never goes stale.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from hatchetd.contracts.spec import WorkflowSpec
from hatchetd.contracts.workflows import WorkflowVersion
from hatchetd.engine.matching import is_pattern, key_matches
from hatchetd.store import Store


@dataclass(frozen=True)
class CatalogEntry:
    """One workflow version, stored and parsed."""

    version: WorkflowVersion
    spec: WorkflowSpec

    @property
    def id(self) -> str:
        """The version's id (its checksum)."""
        return self.version.id


class MissingWorkflowVersion(LookupError):
    """A run names a workflow version the store does not have: the database is damaged."""


class Catalog:
    """Active workflows by trigger, and every version seen so far by id."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._versions: dict[str, CatalogEntry] = {}
        self._active: tuple[CatalogEntry, ...] = ()
        self._by_exact_key: dict[str, list[CatalogEntry]] = {}
        self._by_pattern: list[tuple[str, CatalogEntry]] = []
        self._scheduled: tuple[CatalogEntry, ...] = ()

    def set_active(self, versions: Sequence[WorkflowVersion]) -> None:
        """Make these versions the ones new events are matched against (one per workflow)."""
        entries = [self._entry_of(v) for v in versions]
        self._index(sorted(entries, key=lambda e: e.version.workflow_name))

    def reload_active(self) -> None:
        """Read the active workflows back from the store (after a restart or a rollback)."""
        entries = [
            self.version(workflow.current_version_id)
            for workflow in self._store.list_workflows()
            if workflow.active
        ]
        self._index(entries)

    @property
    def active(self) -> tuple[CatalogEntry, ...]:
        """The active versions, by workflow name."""
        return self._active

    @property
    def scheduled(self) -> tuple[CatalogEntry, ...]:
        """The active versions with at least one cron schedule, by workflow name."""
        return self._scheduled

    def matching(self, key: str) -> list[CatalogEntry]:
        """The active versions an event with this key triggers, by workflow name."""
        found = list(self._by_exact_key.get(key, ()))
        found.extend(entry for pattern, entry in self._by_pattern if key_matches(pattern, key))
        if not self._by_pattern or not found:
            return found
        # A workflow whose exact key and pattern both match still runs once.
        unique = {entry.version.workflow_name: entry for entry in found}
        return [unique[name] for name in sorted(unique)]

    def version(self, version_id: str) -> CatalogEntry:
        """A version by id, parsed; from the store the first time it is asked for."""
        entry = self._versions.get(version_id)
        if entry is None:
            stored = self._store.get_workflow_version(version_id)
            if stored is None:
                raise MissingWorkflowVersion(f"workflow version {version_id} is not in the store")
            entry = self._entry_of(stored)
        return entry

    def _entry_of(self, version: WorkflowVersion) -> CatalogEntry:
        entry = self._versions.get(version.id)
        if entry is None:
            spec = WorkflowSpec.model_validate(version.definition)
            entry = self._versions[version.id] = CatalogEntry(version, spec)
        return entry

    def _index(self, entries: Iterable[CatalogEntry]) -> None:
        active = tuple(entries)
        by_key: dict[str, list[CatalogEntry]] = {}
        patterns: list[tuple[str, CatalogEntry]] = []
        for entry in active:
            for key in dict.fromkeys(entry.spec.triggers.events):
                if is_pattern(key):
                    patterns.append((key, entry))
                else:
                    by_key.setdefault(key, []).append(entry)
        self._active = active
        self._by_exact_key = by_key
        self._by_pattern = patterns
        self._scheduled = tuple(entry for entry in active if entry.spec.triggers.crons)
