"""SIGTERM drains: nothing in flight is reset, running steps finish, and the process exits
within the drain timeout (issue 10, item 8)."""

from __future__ import annotations

import signal
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from acceptance_support import Daemon, free_port, start_daemon, stop, wait_exit, wait_for
from reliability_support import record_figures, sleep_chain, start_worker, write_workflow


@dataclass
class LoadLog:
    """What the clients saw: an outcome per request, and the keys the daemon acknowledged."""

    outcomes: Counter[str] = field(default_factory=Counter)
    acked: dict[str, str] = field(default_factory=dict)
    """idempotency key → event id, for every 201 or 200."""
    lock: threading.Lock = field(default_factory=threading.Lock)

    def note(self, outcome: str, key: str | None = None, event_id: str | None = None) -> None:
        with self.lock:
            self.outcomes[outcome] += 1
            if key is not None and event_id is not None:
                self.acked[key] = event_id


def client_loop(address: str, log: LoadLog, stop_at: threading.Event) -> None:
    """Push events with idempotency keys until the daemon has refused connections a while."""
    refused_since: float | None = None
    with httpx.Client(base_url=address, timeout=10) as client:
        while not stop_at.is_set():
            key = uuid.uuid4().hex
            try:
                response = client.post(
                    "/api/v1/events",
                    json={"key": "load:push", "data": {"k": key}, "idempotency_key": key},
                )
            except httpx.ConnectError:
                log.note("refused")
                refused_since = refused_since or time.monotonic()
                if time.monotonic() - refused_since > 1.0:
                    return
                time.sleep(0.02)
                continue
            except httpx.TransportError as exc:  # reset, EOF, timeout: what must not happen
                log.note(f"transport:{type(exc).__name__}")
                continue
            if response.status_code in (200, 201):
                log.note("acked", key, response.json()["id"])
            elif response.status_code == 503 and "retry-after" in response.headers:
                log.note("503")
            else:
                log.note(f"http:{response.status_code}")


def test_sigterm_under_load_answers_every_request_and_loses_nothing(
    folder: Path, database_url: str | None
) -> None:
    port = free_port()
    daemon = start_daemon(folder, database_url=database_url, port=port)
    log, done = LoadLog(), threading.Event()
    clients = [
        threading.Thread(target=client_loop, args=(daemon.address, log, done)) for _ in range(4)
    ]
    for thread in clients:
        thread.start()
    wait_for(lambda: log.outcomes["acked"] >= 200, timeout=30, what="200 pushes acknowledged")
    signalled = time.monotonic()
    daemon.process.send_signal(signal.SIGTERM)
    code = wait_exit(daemon.process)
    exited_in = time.monotonic() - signalled
    for thread in clients:
        thread.join(timeout=15)
    done.set()

    assert code == 0
    assert exited_in < 10, f"exited {exited_in:.1f} s after SIGTERM"
    unexpected = {k: v for k, v in log.outcomes.items() if k not in ("acked", "503", "refused")}
    assert unexpected == {}, f"requests not answered: {unexpected} (all: {log.outcomes})"

    again = start_daemon(folder, database_url=database_url, port=port)
    try:
        stored = all_events(again)
        by_key = Counter(e["idempotency_key"] for e in stored)
        assert {k for k, n in by_key.items() if n > 1} == set()  # nothing duplicated
        assert set(log.acked) <= set(by_key)  # nothing acknowledged lost
        assert {e["id"] for e in stored if e["idempotency_key"] in log.acked} == set(
            log.acked.values()
        )
    finally:
        stop(again.process)
    record_figures(
        f"sigterm under load ({'postgres' if database_url else 'sqlite'})",
        outcomes=dict(log.outcomes),
        acked=len(log.acked),
        stored=len(stored),
        exited_s=round(exited_in, 2),
    )


def all_events(daemon: Daemon) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        page = daemon.get("/api/v1/events", limit=1000, **({"cursor": cursor} if cursor else {}))
        items += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            return items


@pytest.mark.long(8)
def test_a_step_running_at_sigterm_finishes_and_its_result_is_kept(
    folder: Path, database_url: str | None
) -> None:
    write_workflow(folder, "slow", sleep_chain("slow", "slow:go", steps=2, seconds=2))
    port = free_port()
    daemon = start_daemon(folder, database_url=database_url, port=port)
    worker = start_worker(daemon)
    try:
        run_id = daemon.post("/api/v1/events", {"key": "slow:go"}).json()["run_ids"][0]
        worker.read_until("started")
        signalled = time.monotonic()
        daemon.process.send_signal(signal.SIGTERM)
        with httpx.Client(base_url=daemon.address, timeout=10) as client:
            refused = client.post("/api/v1/events", json={"key": "slow:go"})
            assert refused.status_code == 503
            assert refused.headers["retry-after"] == "5"
            assert refused.headers["connection"] == "close"
            ready = client.get("/readyz")
            assert ready.status_code == 503
        assert wait_exit(daemon.process) == 0
        exited_in = time.monotonic() - signalled
        # It waited for the running step (2 s), not for the whole drain timeout (10 s).
        assert 1.0 < exited_in < 6, f"exited {exited_in:.1f} s after SIGTERM"
        record_figures(
            f"sigterm with a 2 s step running ({'postgres' if database_url else 'sqlite'})",
            exited_s=round(exited_in, 2),
        )

        daemon = start_daemon(folder, database_url=database_url, port=port)
        steps = daemon.get(f"/api/v1/runs/{run_id}")["jobs"][0]["step_runs"]
        # The first step's result came in during the drain; the second was not assigned.
        assert steps[0]["status"] == "SUCCEEDED", steps
        assert daemon.wait_for_run(run_id, timeout=30)["run"]["status"] == "SUCCEEDED"
    finally:
        stop(worker.process)
        stop(daemon.process)


def test_the_drain_timeout_bounds_the_shutdown(folder: Path, database_url: str | None) -> None:
    write_workflow(folder, "long", sleep_chain("long", "long:go", steps=1, seconds=60))
    daemon = start_daemon(folder, database_url=database_url, HATCHET_DRAIN_TIMEOUT="3")
    worker = start_worker(daemon)
    try:
        daemon.post("/api/v1/events", {"key": "long:go"})
        worker.read_until("started")
        signalled = time.monotonic()
        assert stop(daemon.process, timeout=15) == 0
        exited_in = time.monotonic() - signalled
        # 3 s, then the process's own exit.
        assert 2.0 < exited_in < 3.6, f"exited {exited_in:.1f} s after SIGTERM"
        record_figures(
            f"sigterm, 60 s step, drain timeout 3 s ({'postgres' if database_url else 'sqlite'})",
            exited_s=round(exited_in, 2),
        )
    finally:
        worker.process.kill()
        stop(worker.process)
