"""`client.runs.rerun` and `AsyncClient.runs.rerun` against the daemon (served in this process)
and a real SDK worker whose second step fails the first time."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from hatchet_cli import AsyncClient, Client, HatchetError
from hatchetd.contracts.enums import RunStatus, StepRunStatus
from tests.cli.test_cli_runs_rerun import FLAKY, Flaky
from tests.live import run_worker, serve_daemon


@pytest.fixture
def address(tmp_path: Path) -> Iterator[str]:
    source = tmp_path / "flaky.yaml"
    source.write_text(FLAKY)
    with serve_daemon(tmp_path, workflows=[source]) as served:
        yield served


@pytest.fixture
def flaky(address: str) -> Iterator[Flaky]:
    actions = Flaky()
    with run_worker(address, actions, actions=["flaky:prepare", "flaky:send"]):
        yield actions


def test_rerun_from_failed_waits_for_the_new_run(address: str, flaky: Flaky) -> None:
    with Client(address) as client:
        failed = client.workflows.run("flaky-delivery", {"to": "ada"}, wait=True, timeout=15)
        assert failed.run.status is RunStatus.FAILED

        trace = client.runs.rerun(failed.run.id, from_failed=True, wait=True, timeout=15)
        original = client.runs.get(failed.run.id)

    assert trace.run.status is RunStatus.SUCCEEDED
    assert trace.run.rerun_of_id == failed.run.id
    assert trace.step("prepare").status is StepRunStatus.SUCCEEDED
    assert trace.output("prepare") == failed.output("prepare")
    assert flaky.ran == Counter({"flaky:prepare": 1, "flaky:send": 2})
    assert original.rerun_ids == [trace.run.id]


def test_rerun_returns_the_run_at_once_and_a_key_returns_it_again(
    address: str, flaky: Flaky
) -> None:
    with Client(address) as client:
        failed = client.workflows.run("flaky-delivery", {"to": "ada"}, wait=True, timeout=15)

        run = client.runs.rerun(failed.run.id, idempotency_key="once")
        again = client.runs.rerun(failed.run.id, idempotency_key="once")
        with pytest.raises(HatchetError) as refused:
            client.runs.rerun(run.id, idempotency_key="once")  # the key names another rerun
        with pytest.raises(TypeError, match="goes with wait=True"):
            client.runs.rerun(failed.run.id, timeout=1)  # type: ignore[call-overload]

    assert run.status is RunStatus.RUNNING
    assert again.id == run.id
    assert refused.value.status == 409
    assert f"not a rerun of run {run.id}" in refused.value.message


def test_an_unknown_run_is_a_404(address: str) -> None:
    with Client(address) as client, pytest.raises(HatchetError) as raised:
        client.runs.rerun("ffffffff")

    assert raised.value.status == 404


def test_the_async_client_reruns_too(address: str, flaky: Flaky) -> None:
    async def main() -> tuple[str, RunStatus, str | None]:
        async with AsyncClient(address) as client:
            failed = await client.workflows.run("flaky-delivery", {"to": "bo"}, wait=True)
            trace = await client.runs.rerun(failed.run.id, from_failed=True, wait=True, timeout=15)
            return failed.run.id, trace.run.status, trace.run.rerun_of_id

    original, status, rerun_of = asyncio.run(main())

    assert (status, rerun_of) == (RunStatus.SUCCEEDED, original)
    assert flaky.ran["flaky:prepare"] == 1
