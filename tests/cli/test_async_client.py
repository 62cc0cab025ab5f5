"""`AsyncClient` as an asyncio application uses it: inside a FastAPI app served by uvicorn, and
in plain `asyncio.run`, against the real daemon (served in this process) and a real SDK worker."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from hatchet_cli import AsyncClient, DaemonUnreachable, HatchetError, RunWaitTimeout
from hatchet_cli.sdk import Context, Worker
from hatchetd.contracts.changes import Change, ChangeKind
from hatchetd.contracts.enums import RunStatus, TriggerKind
from tests.live import run_worker, serve, serve_daemon

GREET = """\
name: greet
triggers:
  events: [greet:me]
jobs:
  greet:
    steps:
      - id: hello
        action: greet:hello
        with: {name: "{{ .name }}"}
"""
IDLE = """\
name: idle
triggers:
  events: [idle:go]
jobs:
  idle:
    steps:
      - id: never
        action: nobody:serves-this
"""


def hello(input: Any, ctx: Context) -> Any:
    return {"hello": input["name"], "step": ctx.step_id}


@pytest.fixture
def address(tmp_path: Path) -> Iterator[str]:
    files = []
    for name, text in (("greet.yaml", GREET), ("idle.yaml", IDLE)):
        (tmp_path / name).write_text(text)
        files.append(tmp_path / name)
    with serve_daemon(tmp_path, workflows=files) as served:
        yield served


@pytest.fixture
def worker(address: str) -> Iterator[Worker]:
    with run_worker(address, hello, actions=["greet:hello"], name="async-test") as running:
        yield running


def application(daemon: str) -> FastAPI:
    """A small web app that starts work on the daemon and answers with its result."""

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with AsyncClient(daemon) as client:
            app.state.hatchet = client
            yield

    app = FastAPI(lifespan=lifespan)

    @app.post("/greet/{name}")
    async def greet(name: str) -> dict[str, Any]:
        client: AsyncClient = app.state.hatchet
        pushed = await client.events.push("greet:me", {"name": name}, wait=True, timeout=20)
        return {"event": pushed.event.id, "outputs": [t.output("hello") for t in pushed.traces]}

    @app.post("/by-hand/{name}")
    async def by_hand(name: str) -> dict[str, Any]:
        client: AsyncClient = app.state.hatchet
        trace = await client.workflows.run("greet", {"name": name}, wait=True, timeout=20)
        return {"trigger": trace.run.trigger, "output": trace.output("hello")}

    return app


def test_a_web_app_pushes_and_waits_for_many_requests_at_once(address: str, worker: Worker) -> None:
    names = [f"user-{i}" for i in range(8)]
    with serve(application(address)) as app, ThreadPoolExecutor(len(names)) as pool:
        answers = list(pool.map(lambda n: httpx.post(f"{app}/greet/{n}", timeout=30).json(), names))
        by_hand = httpx.post(f"{app}/by-hand/ada", timeout=30).json()

    assert [a["outputs"] for a in answers] == [[{"hello": n, "step": "hello"}] for n in names]
    assert len({a["event"] for a in answers}) == len(names)
    assert by_hand == {"trigger": TriggerKind.MANUAL, "output": {"hello": "ada", "step": "hello"}}


def test_the_change_stream_yields_typed_changes(address: str, worker: Worker) -> None:
    async def main() -> list[Change]:
        async with AsyncClient(address) as client:
            seen: list[Change] = []
            opened = asyncio.Event()

            async def follow() -> None:
                async for change in client.changes(kinds=["run"], on_open=opened.set):
                    seen.append(change)
                    if change.status == "SUCCEEDED":
                        return

            following = asyncio.create_task(follow())
            await asyncio.wait_for(opened.wait(), 10)
            await client.events.push("greet:me", {"name": "ada"})
            await asyncio.wait_for(following, 20)
            return seen

    seen = asyncio.run(main())

    assert all(isinstance(change, Change) for change in seen)
    assert {change.kind for change in seen} == {ChangeKind.RUN}
    assert seen[-1].status == "SUCCEEDED"


def test_a_wait_that_times_out_carries_the_run_as_it_is(address: str) -> None:
    async def main() -> RunWaitTimeout:
        async with AsyncClient(address) as client:
            event = await client.events.push("idle:go", {})
            with pytest.raises(RunWaitTimeout) as raised:
                await client.runs.wait(event.run_ids[0], timeout=0.3)
            return raised.value

    late = asyncio.run(main())

    assert [run.status for run in late.runs] == [RunStatus.RUNNING]


def test_errors_are_the_blocking_clients(address: str) -> None:
    async def main() -> tuple[HatchetError, DaemonUnreachable]:
        async with AsyncClient(address) as client:
            with pytest.raises(HatchetError) as unknown:
                await client.runs.wait("ffffffff")
        async with AsyncClient("http://127.0.0.1:1") as nowhere:
            with pytest.raises(DaemonUnreachable) as unreachable:
                await nowhere.status()
        return unknown.value, unreachable.value

    unknown, unreachable = asyncio.run(main())

    assert (unknown.status, unknown.code) == (404, "not_found")
    assert "cannot reach the hatchet daemon at http://127.0.0.1:1" in str(unreachable)
