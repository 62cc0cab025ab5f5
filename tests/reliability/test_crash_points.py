"""kill -9 at the worst moments loses nothing and duplicates nothing (issue 10, item 10).

A burst of pushes from four clients (each with an idempotency key, retried until acknowledged)
runs into a daemon that kills itself at a chosen crash point (`HATCHETD_FAULT`); a monitor
restarts it on the same port, without the fault. The history checker then reads the clients'
log and the store and proves: every acknowledged event stored exactly once with its data, every
key one event, every event its run, no step result recorded twice, no run left non-final.
"""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from acceptance_support import Daemon, free_port, start_daemon, stop, wait_for
from history_checker import check, runs_not_final
from push_load import PushLoad, read_log
from reliability_support import record_figures, start_worker, write_workflow

from hatchetd.store import open_store

CHAIN = """\
name: load
on:
  events: [load:push]
jobs:
  chain:
    steps:
      - id: first
        action: rel:echo
        retries: 2
        with: {n: "{{ input.i }}"}
      - id: second
        action: rel:echo
        retries: 2
        with: {previous: "{{ steps.first.n }}"}
"""
FAST_LEASE = {"HATCHET_HEARTBEAT_INTERVAL": "0.5"}  # a lost worker is noticed in 1.5 s


class Restarter:
    """Restarts the daemon, on the same port and without the fault, whenever it dies."""

    def __init__(self, folder: Path, database_url: str | None, port: int, fault: str) -> None:
        self._folder, self._url, self._port = folder, database_url, port
        self.daemon = start_daemon(
            folder, database_url=database_url, port=port, HATCHETD_FAULT=fault, **FAST_LEASE
        )
        self.crashes: list[int] = []
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()

    def address(self) -> str:
        return self.daemon.address

    def _watch(self) -> None:
        while not self._done.is_set():
            try:
                code = self.daemon.process.wait(timeout=0.1)
            except Exception:  # still running
                continue
            if self._done.is_set():
                return
            self.crashes.append(code)
            stop(self.daemon.process)  # reaps it, closes its pipe
            self.daemon = start_daemon(
                self._folder,
                database_url=self._url,
                port=self._port,
                HATCHETD_FAULT="",
                **FAST_LEASE,
            )

    def close(self) -> Daemon:
        self._done.set()
        self._thread.join()
        return self.daemon


@pytest.mark.parametrize(
    "fault",
    [
        "crash:after_event_insert@40",
        "crash:after_commit_before_ack@40",
        "crash:after_assign_commit@20",
        "crash:after_result_commit@20",
    ],
)
def test_a_crash_at_each_point_loses_and_duplicates_nothing(
    folder: Path, database_url: str | None, tmp_path: Path, fault: str
) -> None:
    write_workflow(folder, "load", CHAIN)
    restarter = Restarter(folder, database_url, free_port(), fault)
    worker = start_worker(restarter.daemon, slots=8)
    load = PushLoad(restarter.address, tmp_path / "clients.jsonl", clients=4, per_client=50)
    url = database_url or f"sqlite:///{folder.parent / '.hatchetd' / 'hatchet.db'}"
    store = open_store(url)
    try:
        load.start()
        load.join()
        wait_for(lambda: restarter.crashes, timeout=5, what=f"the daemon to crash ({fault})")
        wait_for(
            lambda: not runs_not_final(store, "load"), timeout=60, what="every run to be final"
        )
        history = check(read_log(tmp_path / "clients.jsonl"), store)
    finally:
        store.close()
        daemon = restarter.close()
        stop(worker.process)
        stop(daemon.process)

    record_figures(
        f"crash {fault} ({'postgres' if database_url else 'sqlite'})",
        attempts=dict(history.attempts),
        acked=history.acked,
        stored=history.stored,
        violations=history.violations,
        runs=dict(history.runs_by_status),
    )
    assert restarter.crashes == [-9]  # killed once, at the point, by SIGKILL
    assert history.violations == {}, history
    assert history.acked == 200 == history.stored
    assert history.runs_by_status == {"SUCCEEDED": 200}
