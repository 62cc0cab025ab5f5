"""Workflows and their versions: versions are kept by checksum, workflows by name."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hatchetd.contracts.workflows import Workflow, WorkflowVersion
from hatchetd.store import Store

T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


def version(checksum: str, *, name: str = "sign-up", seconds: int = 0) -> WorkflowVersion:
    return WorkflowVersion(
        id=checksum,
        workflow_name=name,
        version="1.10",
        definition={"name": name, "jobs": {"greet": {"steps": [{"id": "s", "with": [1, None]}]}}},
        file=f"{name}.yaml",
        created_at=T0 + timedelta(seconds=seconds),
    )


def test_a_version_is_stored_once_per_checksum(store: Store) -> None:
    first = version("sha256:1")

    saved = store.save_workflow_version(first)
    again = store.save_workflow_version(
        first.model_copy(update={"file": "moved.yaml", "created_at": T0 + timedelta(hours=1)})
    )

    assert saved == first
    assert again == first  # the stored one wins: versions never change
    assert store.get_workflow_version("sha256:1") == first
    assert store.get_workflow_version("sha256:nope") is None
    assert store.list_workflow_versions("sign-up") == [first]


def test_versions_of_a_workflow_are_listed_oldest_first(store: Store) -> None:
    newer, older = version("sha256:b", seconds=5), version("sha256:a", seconds=1)
    store.save_workflow_version(newer)
    store.save_workflow_version(older)
    store.save_workflow_version(version("sha256:c", name="nightly"))

    assert store.list_workflow_versions("sign-up") == [older, newer]
    assert store.list_workflow_versions("nobody") == []
    stored = store.get_workflow_version("sha256:a")
    assert stored is not None
    assert stored.version == "1.10"


def test_a_workflow_is_created_replaced_and_listed_by_name(store: Store) -> None:
    v1, v2 = version("sha256:1"), version("sha256:2", seconds=1)
    nightly = version("sha256:n", name="nightly")
    for v in (v1, v2, nightly):
        store.save_workflow_version(v)
    sign_up = Workflow(
        name="sign-up", current_version_id=v1.id, active=True, file="sign-up.yaml", updated_at=T0
    )
    store.save_workflow(sign_up)
    store.save_workflow(
        Workflow(
            name="nightly", current_version_id=nightly.id, active=True, file="n.yaml", updated_at=T0
        )
    )

    replaced = sign_up.model_copy(
        update={"current_version_id": v2.id, "active": False, "updated_at": T0 + timedelta(hours=2)}
    )
    store.save_workflow(replaced)

    assert store.get_workflow("sign-up") == replaced
    assert store.get_workflow("nobody") is None
    assert [w.name for w in store.list_workflows()] == ["nightly", "sign-up"]
    assert store.list_workflows()[1] == replaced
