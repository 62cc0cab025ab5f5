"""The daemon survives losing its PostgreSQL connection (issue 10, item 1): cut for 5 s with a
step running across it, for 5 s and for 60 s under a load of pushes, and stalled at SIGTERM.

A TCP proxy started by the test stands between hatchetd and PostgreSQL. Cutting it resets every
connection and refuses new ones, as a database restart or a dropped network path does. While cut,
the daemon must say so truthfully (`/readyz` 503, writes and reads 503 `database_unavailable`
with `Retry-After`) instead of hanging or dying; once the database is back it must recover by
itself within 2 s, with nothing acknowledged lost and work in flight finished.
"""

from __future__ import annotations

import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from acceptance_support import (
    Daemon,
    start_daemon,
    stop,
    wait_exit,
    wait_for,
    wait_until_loaded,
)
from history_checker import check, runs_not_final
from push_load import PushLoad, read_log
from reliability_support import (
    record_figures,
    run_status,
    sleep_chain,
    start_worker,
    write_workflow,
)
from tcp_proxy import TcpProxy, proxy_to

from hatchetd.store import open_store

LOAD = """\
name: load
on:
  events: [load:push]
jobs:
  echo:
    steps:
      - id: only
        action: rel:echo
        with: {n: "{{ input.i }}"}
"""


@pytest.fixture
def proxy(postgres_url: str) -> Iterator[TcpProxy]:
    with proxy_to(postgres_url) as p:
        yield p


def answer(
    daemon: Daemon, method: str, path: str, *, timeout: float = 30.0, **kwargs: Any
) -> httpx.Response:
    with httpx.Client(base_url=daemon.address, timeout=timeout) as client:
        return client.request(method, path, **kwargs)


def timed(daemon: Daemon, method: str, path: str, **kwargs: Any) -> tuple[httpx.Response, float]:
    started = time.monotonic()
    response = answer(daemon, method, path, **kwargs)
    return response, time.monotonic() - started


@pytest.mark.long(14)
def test_a_cut_database_is_reported_and_recovered_from(
    folder: Path, postgres_url: str, proxy: TcpProxy
) -> None:
    cut_seconds = 5  # the 60 s cut is the load test's, which checks the same answers meanwhile
    write_workflow(folder, "slow", sleep_chain("slow", "slow:go", steps=1, seconds=3, timeout="5s"))
    daemon = start_daemon(folder, database_url=proxy.url_for(postgres_url))
    try:
        worker = start_worker(daemon)
        before = answer(daemon, "POST", "/api/v1/events", json={"key": "slow:go"})
        assert before.status_code == 201, before.text
        run_id = before.json()["run_ids"][0]
        worker.read_until("started")  # the step runs across the cut

        proxy.cut()
        cut_at = time.monotonic()
        push, took = timed(daemon, "POST", "/api/v1/events", json={"key": "slow:go"})
        assert push.status_code == 503, push.text
        assert push.json()["error"]["code"] == "database_unavailable"
        assert int(push.headers["retry-after"]) >= 1
        assert took < 15, f"a push took {took:.1f} s to be refused"
        ready = answer(daemon, "GET", "/readyz")
        assert ready.status_code == 503
        assert "database" in ready.json()["error"]["message"]
        listed = answer(daemon, "GET", "/api/v1/events")
        assert listed.status_code == 503, listed.text
        assert listed.json()["error"]["code"] == "database_unavailable"
        assert answer(daemon, "GET", "/livez").status_code == 200
        # A workflow saved during the outage is loaded once the database is back.
        write_workflow(folder, "late", sleep_chain("late", "late:go", steps=1, seconds=0))

        time.sleep(max(0.0, cut_seconds - (time.monotonic() - cut_at)))  # the outage itself
        proxy.restore()
        restored_at = time.monotonic()
        wait_for(
            lambda: answer(daemon, "GET", "/readyz").status_code == 200,
            timeout=10,
            what="/readyz to say ready again",
        )
        recovered_in = time.monotonic() - restored_at
        assert recovered_in < 2.5, f"recovered {recovered_in:.2f} s after the database came back"

        wait_until_loaded(daemon, "late")
        after = answer(daemon, "POST", "/api/v1/events", json={"key": "slow:go"})
        assert after.status_code == 201, after.text
        # The step that ran across the cut finished within its timeout: its result is kept.
        trace = daemon.wait_for_run(run_id, timeout=30)
        assert trace["run"]["status"] == "SUCCEEDED", trace
        assert daemon.wait_for_run(after.json()["run_ids"][0], timeout=30)["run"]["status"] == (
            "SUCCEEDED"
        )
        assert run_status(daemon, run_id) == "SUCCEEDED"
        record_figures(
            f"postgres cut {cut_seconds} s",
            push_refused_after_s=round(took, 2),
            recovered_after_restore_s=round(recovered_in, 2),
            run_across_the_cut="SUCCEEDED",
        )
        stop(worker.process)
    finally:
        started = time.monotonic()
        code = stop(daemon.process, timeout=15)
        assert code == 0, "".join(daemon.output)
        assert time.monotonic() - started < 12


@pytest.mark.parametrize(
    "cut_seconds",
    [pytest.param(5, marks=pytest.mark.long(14)), pytest.param(60, marks=pytest.mark.long(72))],
)
def test_a_cut_under_load_loses_and_duplicates_nothing(
    folder: Path, postgres_url: str, proxy: TcpProxy, tmp_path: Path, cut_seconds: int
) -> None:
    write_workflow(folder, "load", LOAD)
    daemon = start_daemon(folder, database_url=proxy.url_for(postgres_url))
    worker = start_worker(daemon, slots=8)
    load = PushLoad(
        lambda: daemon.address, tmp_path / "clients.jsonl", per_client=100, deadline=150
    )
    store = open_store(postgres_url)
    try:
        load.start()
        wait_for(lambda: load.acked >= 100, timeout=30, what="100 pushes acknowledged")
        proxy.cut()
        cut_at = time.monotonic()
        wait_for(lambda: answer(daemon, "GET", "/readyz").status_code == 503, what="/readyz 503")
        listed = answer(daemon, "GET", "/api/v1/events")
        assert (listed.status_code, listed.json()["error"]["code"]) == (
            503,
            "database_unavailable",
        )
        assert answer(daemon, "GET", "/livez").status_code == 200
        time.sleep(max(0.0, cut_seconds - (time.monotonic() - cut_at)))  # the outage
        proxy.restore()
        restored_at = time.monotonic()
        wait_for(
            lambda: answer(daemon, "GET", "/readyz").status_code == 200,
            what="/readyz to say ready again",
        )
        recovered_in = time.monotonic() - restored_at
        assert recovered_in < 2.5, f"recovered {recovered_in:.2f} s after the database came back"
        load.join()
        wait_for(lambda: not runs_not_final(store, "load"), timeout=60, what="every run final")
        history = check(read_log(tmp_path / "clients.jsonl"), store)
    finally:
        store.close()
        stop(worker.process)
        assert stop(daemon.process) == 0
    record_figures(
        f"postgres cut {cut_seconds} s under load",
        recovered_after_restore_s=round(recovered_in, 2),
        attempts=dict(history.attempts),
        acked=history.acked,
        stored=history.stored,
        violations=history.violations,
        runs=dict(history.runs_by_status),
    )
    assert history.violations == {}, history
    assert history.acked == 400 == history.stored
    assert history.attempts["http_503"] > 0  # the clients were told, and retried
    assert set(history.attempts) <= {"acked", "http_503"}  # nothing else: no 500, no reset
    assert history.runs_by_status == {"SUCCEEDED": 400}


@pytest.mark.long(8)
def test_sigterm_during_an_outage_still_exits_within_the_drain_timeout(
    folder: Path, postgres_url: str, proxy: TcpProxy
) -> None:
    write_workflow(folder, "slow", sleep_chain("slow", "slow:go", steps=1, seconds=30))
    daemon = start_daemon(
        folder, database_url=proxy.url_for(postgres_url), HATCHET_DRAIN_TIMEOUT="4"
    )
    worker = start_worker(daemon)
    try:
        assert answer(daemon, "POST", "/api/v1/events", json={"key": "slow:go"}).status_code == 201
        worker.read_until("started")
        proxy.stall()  # the worst kind: connections hang rather than fail
        answer(daemon, "POST", "/api/v1/events", json={"key": "slow:go"}, timeout=2)
    except httpx.TimeoutException:
        pass
    finally:
        signalled = time.monotonic()
        daemon.process.send_signal(signal.SIGTERM)
        code = wait_exit(daemon.process, timeout=15)
        exited_in = time.monotonic() - signalled
        proxy.restore()
        worker.process.kill()
        stop(worker.process)
    record_figures("sigterm during a stalled postgres", exited_s=round(exited_in, 2), code=code)
    assert exited_in < 4.5, f"exited {exited_in:.1f} s after SIGTERM (drain timeout 4 s)"
    assert code in (0, 1)  # 1: the watchdog had to end it, the engine thread being stuck
