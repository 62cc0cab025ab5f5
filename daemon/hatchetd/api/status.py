"""`/api/v1/status`: what `hatchet status` shows."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter

from hatchetd import __version__
from hatchetd.api.openapi import STORE, errors
from hatchetd.api.services import ServicesDep
from hatchetd.contracts.api import DaemonStatus, UnservedAction
from hatchetd.contracts.enums import StepRunStatus
from hatchetd.engine.serving import Serving, actions_of, active_versions
from hatchetd.settings import redacted_url
from hatchetd.store import Store

router = APIRouter(prefix="/api/v1", tags=["status"])


@router.get("/status", response_model=DaemonStatus, responses=errors(*STORE))
def status(services: ServicesDep) -> DaemonStatus:
    """The daemon's address, version, store, folder, uptime, workers, queue depth, the actions
    no connected worker serves, and its place among the daemons sharing the store."""
    counts = services.store.count_step_runs()
    now = datetime.now(UTC)
    alive = [r for r in services.store.list_replicas() if r.alive_at(now)]
    return DaemonStatus(
        version=__version__,
        address=services.address,
        store=redacted_url(services.settings.database_url),
        folder=str(services.settings.folder),
        started_at=services.started_at,
        workers=len(services.sessions),
        queue_depth=counts.get(StepRunStatus.PENDING_ASSIGNMENT, 0),
        replica_id=services.runtime.replica_id,
        leader=services.runtime.leading,
        replicas=max(1, len(alive)),
        folder_drift=services.registry.drift() if services.store.shared else [],
        unserved_actions=_unserved(services.store),
    )


def _unserved(store: Store) -> list[UnservedAction]:
    serving = Serving.read(store)
    needed: dict[str, list[str]] = {}
    for version in active_versions(store):
        for action in serving.unserved(actions_of(version)):
            needed.setdefault(action, []).append(version.workflow_name)
    return [UnservedAction(action=a, workflows=needed[a]) for a in sorted(needed)]
