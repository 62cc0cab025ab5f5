"""Several hatchetd replicas on one PostgreSQL database share one queue and take over from each
other (issue 11): real daemons, real workers, real kills.

Every daemon here sends heartbeats every second, so a worker is lost after 3 s of silence: the
figures the tests wait for are the production ones (5 s, 15 s) scaled down.
"""

from __future__ import annotations

import os
import signal
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from acceptance_support import (
    Daemon,
    push,
    start_daemon,
    stop,
    wait_for,
    wait_until_loaded,
)
from history_checker import History, _check_run
from reliability_support import WorkerProcess, record_figures, start_worker, write_workflow
from stream_reader import listening, take_until

from hatchetd.store import open_store

pytestmark = pytest.mark.acceptance

HEARTBEAT = "1"
LEASE = 3 * float(HEARTBEAT)


def _workflow_text(name: str, *, seconds: float, retries: int = 0, cron: str | None = None) -> str:
    on = f'  cron:\n    schedule: "{cron}"' if cron else f"  events: [{name}:go]"
    return (
        f"name: {name}\non:\n{on}\njobs:\n  main:\n    steps:\n      - id: sleep\n"
        f"        action: rel:sleep\n        retries: {retries}\n        timeout: 60s\n"
        f'        with: {{seconds: {seconds}, tag: "{name}"}}\n'
    )


LOGGED = """\
name: logged
on: [logged:go]
jobs:
  main:
    steps:
      - id: log
        action: rel:log
        with: {lines: "{{ .input.lines }}"}
"""


class Cluster:
    """Replicas of hatchetd on one database, each with its own copy of the workflow folder."""

    def __init__(self, tmp_path: Path, url: str) -> None:
        self.tmp_path = tmp_path
        self.url = url
        self.replicas: list[Daemon] = []
        self.workers: list[WorkerProcess] = []
        self.files: dict[str, str] = {}
        self._started = 0

    def workflow(self, name: str, text: str) -> None:
        """Put a workflow into every replica's folder (and into those started later)."""
        self.files[name] = text
        for replica in self.replicas:
            write_workflow(replica.folder, name, text)
            wait_until_loaded(replica, name)

    def start(self, n: int = 1) -> list[Daemon]:
        """Start `n` more replicas and wait until each has loaded the workflows."""
        started = []
        for _ in range(n):
            self._started += 1
            folder = self.tmp_path / f"replica{self._started}" / ".hatchet"
            folder.mkdir(parents=True)
            for name, text in self.files.items():
                write_workflow(folder, name, text)
            replica = start_daemon(
                folder,
                database_url=self.url,
                HATCHET_HEARTBEAT_INTERVAL=HEARTBEAT,
                HATCHET_LOG_LEVEL="INFO",
            )
            wait_until_loaded(replica, *self.files)
            self.replicas.append(replica)
            started.append(replica)
        return started

    def worker(self, replica: Daemon, name: str, slots: int = 4) -> WorkerProcess:
        worker = start_worker(replica, name=name, slots=slots)
        self.workers.append(worker)
        return worker

    def stop_all(self) -> None:
        for worker in self.workers:
            if worker.process.poll() is None:
                worker.process.terminate()
                worker.process.wait(15)
            if worker.process.stdout is not None:
                worker.process.stdout.close()
        for replica in self.replicas:
            if replica.process.poll() is None:
                assert stop(replica.process) == 0
            elif replica.process.stdout is not None:
                replica.process.stdout.close()


@contextmanager
def cluster_on(tmp_path: Path, url: str) -> Iterator[Cluster]:
    cluster = Cluster(tmp_path, url)
    try:
        yield cluster
    finally:
        cluster.stop_all()


def kill(process: Any) -> None:
    os.kill(process.pid, signal.SIGKILL)
    process.wait(10)


def started_lines(worker: WorkerProcess) -> list[str]:
    """The `started <step run> <attempt>` lines the worker printed so far (reads what is
    waiting on its stdout without blocking past its end)."""
    if worker.process.stdout is not None and worker.process.poll() is not None:
        worker.lines += worker.process.stdout.readlines()
    return [
        line.split(maxsplit=1)[1].strip() for line in worker.lines if line.startswith("started")
    ]


def run_of(replica: Daemon, run_id: str) -> dict[str, Any]:
    trace: dict[str, Any] = replica.get(f"/api/v1/runs/{run_id}")
    return trace


def test_a_run_pushed_to_one_replica_runs_on_a_worker_of_another(
    tmp_path: Path, postgres_url: str
) -> None:
    with cluster_on(tmp_path, postgres_url) as cluster:
        cluster.files["hop"] = _workflow_text("hop", seconds=0)
        a, b, c = cluster.start(3)
        cluster.worker(a, "only-on-a")

        run_ids = [
            push(replica, "hop:go", {"via": i})["run_ids"][0] for i, replica in enumerate((b, c, b))
        ]

        for run_id in run_ids:
            done = b.wait_for_run(run_id, timeout=10)
            assert done["run"]["status"] == "SUCCEEDED"
            (step,) = done["jobs"][0]["step_runs"]
            assert step["output"]["worker"] == "only-on-a"
        assert b.get("/api/v1/status")["queue_depth"] == 0


@pytest.mark.long(40)
def test_a_killed_replica_s_runs_finish_on_the_others_and_nothing_runs_twice(
    tmp_path: Path, postgres_url: str
) -> None:
    with cluster_on(tmp_path, postgres_url) as cluster:
        cluster.files["work"] = _workflow_text("work", seconds=1, retries=2)
        a, b, c = cluster.start(3)
        on_a = cluster.worker(a, "on-a", slots=4)
        on_b = cluster.worker(b, "on-b", slots=4)
        run_ids = [
            push(replica, "work:go", {"n": n})["run_ids"][0]
            for n, replica in enumerate([a, b, c] * 6)
        ]
        on_b.read_until("started")  # B's worker is running a step of its own

        kill(b.process)
        kill(on_b.process)
        killed_at = time.monotonic()

        def all_final() -> bool:
            return all(run_of(a, r)["run"]["status"] in ("SUCCEEDED", "FAILED") for r in run_ids)

        wait_for(all_final, timeout=30, what="every run to end after B was killed")
        took = time.monotonic() - killed_at
        # The lease, the sweep (once a second) and two ticks; then the retries run: 18 steps of
        # 1 s on 4 slots at most, a few of them again.
        assert took < LEASE + 1 + 0.5 + 8, f"{took:.1f}s"
        statuses = Counter(run_of(a, r)["run"]["status"] for r in run_ids)
        retried = sum(len(run_of(a, r)["jobs"][0]["step_runs"]) > 1 for r in run_ids)
        record_figures("replica_killed", runs=len(run_ids), took_s=round(took, 2), retried=retried)
        assert statuses == {"SUCCEEDED": len(run_ids)}
        workers = {w["worker"]["name"]: w["worker"]["status"] for w in a.get("/api/v1/workers")}
        assert workers["on-b"] == "LOST"
        assert workers["on-a"] == "ACTIVE"

        # No attempt ran twice: each (step run, attempt) started on one worker, once.
        on_a.process.terminate()
        on_a.process.wait(15)
        started = started_lines(on_a) + started_lines(on_b)
        assert [s for s, n in Counter(started).items() if n > 1] == []
        store = open_store(postgres_url)
        try:
            history = History()
            for run_id in run_ids:
                _check_run(store, run_id, history)
            assert history.violations == {}
            assert history.runs_by_status == {"SUCCEEDED": len(run_ids)}
        finally:
            store.close()


@pytest.mark.long(30)
def test_restarting_a_replica_does_not_disturb_another_s_worker(
    tmp_path: Path, postgres_url: str
) -> None:
    with cluster_on(tmp_path, postgres_url) as cluster:
        cluster.files["long"] = _workflow_text("long", seconds=4 * LEASE)
        a, b = cluster.start(2)
        on_b = cluster.worker(b, "on-b")
        run_id = push(b, "long:go", {})["run_ids"][0]
        on_b.read_until("started")

        assert stop(a.process) == 0
        cluster.replicas.remove(a)
        (again,) = cluster.start(1)

        restarted_at = time.monotonic()
        done = again.wait_for_run(run_id, timeout=4 * LEASE + 15)
        record_figures(
            "replica_restarted",
            step_s=4 * LEASE,
            after_restart_s=round(time.monotonic() - restarted_at, 2),
        )
        assert done["run"]["status"] == "SUCCEEDED"
        attempts = done["jobs"][0]["step_runs"]
        assert [s["attempt"] for s in attempts] == [1]
        workers = {w["worker"]["name"]: w["worker"]["status"] for w in b.get("/api/v1/workers")}
        assert workers["on-b"] == "ACTIVE"


@pytest.mark.long(150)
def test_the_next_cron_tick_fires_once_after_the_leader_is_killed(
    tmp_path: Path, postgres_url: str
) -> None:
    with cluster_on(tmp_path, postgres_url) as cluster:
        cluster.files["minutely"] = _workflow_text("minutely", seconds=0, cron="* * * * *")
        replicas = cluster.start(3)
        leader = wait_for(
            lambda: next((r for r in replicas if r.get("/api/v1/status")["leader"]), None),
            what="a leader",
        )
        followers = [r for r in replicas if r is not leader]
        cluster.worker(followers[0], "follower-worker")

        def cron_runs() -> list[dict[str, Any]]:
            items: list[dict[str, Any]] = followers[1].get(
                "/api/v1/runs", workflow="minutely", limit=100
            )["items"]
            return items

        first = wait_for(cron_runs, timeout=75, what="the first tick")[0]
        kill(leader.process)
        killed_at = time.monotonic()
        first_tick = datetime.fromisoformat(first["cron_tick_at"])
        wait_for(
            lambda: any(r.get("/api/v1/status")["leader"] for r in followers),
            what="a new leader",
        )
        took_over = time.monotonic() - killed_at

        def next_tick_ran() -> list[dict[str, Any]] | None:
            later = [
                r for r in cron_runs() if datetime.fromisoformat(r["cron_tick_at"]) > first_tick
            ]
            return later if later and all(r["status"] == "SUCCEEDED" for r in later) else None

        later = wait_for(next_tick_ran, timeout=75, what="the tick after the leader died")
        assert len({r["cron_tick_at"] for r in later}) == len(later) == 1
        new_leaders = [r for r in followers if r.get("/api/v1/status")["leader"]]
        assert len(new_leaders) == 1
        record_figures(
            "leader_killed", took_over_s=round(took_over, 2), runs_for_next_tick=len(later)
        )


def test_a_change_stream_on_one_replica_follows_a_run_on_another(
    tmp_path: Path, postgres_url: str
) -> None:
    with cluster_on(tmp_path, postgres_url) as cluster:
        cluster.files["seen"] = _workflow_text("seen", seconds=0.2)
        a, b, _ = cluster.start(3)
        cluster.worker(b, "on-b")

        with listening(a, kind=["run"]) as received:
            run_id = push(b, "seen:go", {})["run_ids"][0]
            changes = take_until(
                received, lambda c: c["id"] == run_id and c["status"] == "SUCCEEDED"
            )

        mine = [c for c in changes if c["id"] == run_id]
        assert [c["status"] for c in mine][-1] == "SUCCEEDED"
        assert mine[0]["status"] in ("PENDING", "RUNNING")
        assert mine[-1]["record"]["finished_at"] is not None

        # Log lines cross too, a line too long for one NOTIFY included (A reads it back).
        cluster.workflow("logged", LOGGED)
        lines = ["short", "x" * 20_000, "last"]
        with listening(a, kind=["step_log"]) as received:
            run_id = push(b, "logged:go", {"lines": lines})["run_ids"][0]
            logged = take_until(received, lambda c: c["record"]["line"] == "last")
        assert [c["record"]["line"] for c in logged] == lines
        assert {c["run_id"] for c in logged} == {run_id}


def test_an_edit_on_one_replica_is_what_every_replica_runs(
    tmp_path: Path, postgres_url: str
) -> None:
    with cluster_on(tmp_path, postgres_url) as cluster:
        cluster.files["edited"] = _workflow_text("edited", seconds=0)
        a, b = cluster.start(2)
        cluster.worker(b, "on-b")
        before = push(b, "edited:go", {})["run_ids"][0]

        write_workflow(a.folder, "edited", _workflow_text("edited", seconds=0.1))

        def new_version() -> str | None:
            current: str = a.get("/api/v1/workflows/edited")["version_id"]
            old = b.wait_for_run(before)["run"]["workflow_version_id"]
            return current if current != old else None

        current = wait_for(new_version, what="A to load the edit")
        after = push(b, "edited:go", {})["run_ids"][0]  # B's own file is the old one
        assert b.wait_for_run(after)["run"]["workflow_version_id"] == current
        drift = wait_for(lambda: b.get("/api/v1/status")["folder_drift"], what="B's report")
        assert drift[0].startswith("edited: the file here is version")
        assert a.get("/api/v1/status")["folder_drift"] == []


def test_a_cancel_on_one_replica_stops_the_worker_on_another_and_frees_its_slot(
    tmp_path: Path, postgres_url: str
) -> None:
    with cluster_on(tmp_path, postgres_url) as cluster:
        cluster.files["slow"] = _workflow_text("slow", seconds=30)
        cluster.files["quick"] = _workflow_text("quick", seconds=0)
        a, b = cluster.start(2)
        on_b = cluster.worker(b, "on-b", slots=1)
        slow = push(a, "slow:go", {})["run_ids"][0]
        on_b.read_until("started")

        cancelled = a.post(f"/api/v1/runs/{slow}/cancel", {})
        assert cancelled.status_code == 200
        assert cancelled.json()["run"]["status"] == "CANCELLED"
        quick = push(a, "quick:go", {})["run_ids"][0]

        # The only slot is free again well before the slow step would have ended.
        done = a.wait_for_run(quick, timeout=10)
        assert done["run"]["status"] == "SUCCEEDED"
        (step,) = b.wait_for_run(slow)["jobs"][0]["step_runs"]
        assert (step["status"], step["cancel_reason"]) == ("CANCELLED", "USER_CANCELLED")
