"""hatchet-cli's figures: a real hatchetd on its default SQLite store and a real SDK worker.

Completion is read from the daemon's SQLite file (read-only, WAL readers never block the
writer) and per-run times from `GET /api/v1/runs/{id}`. Times from different processes are
`time.time()` / UTC wall clock on the same machine, so they compare directly.
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from typing import Any

import httpx

from bench import app_path, load, procs
from bench.config import Config
from bench.stats import Elsewhere, measured, rate, summary_ms

ONE_STEP, ONE_KEY = "bench-one-step", "bench:one"
CHAIN, CHAIN_KEY = "bench-chain", "bench:chain"
INGEST_KEY = "bench:ingest"
"""Matches no workflow: ingestion stores events and starts nothing."""

_STEP = """      - id: {id}
        action: bench:noop
        timeout: 60s
"""
WORKFLOWS = {
    f"{ONE_STEP}.yaml": f"name: {ONE_STEP}\nversion: v1\ntriggers:\n  events: [{ONE_KEY}]\n"
    "jobs:\n  only:\n    steps:\n" + _STEP.format(id="noop"),
    f"{CHAIN}.yaml": f"name: {CHAIN}\nversion: v1\ntriggers:\n  events: [{CHAIN_KEY}]\n"
    "jobs:\n  chain:\n    steps:\n" + "".join(_STEP.format(id=f"s{i}") for i in (1, 2, 3)),
}
FINAL = ("SUCCEEDED", "FAILED", "CANCELLED")
WARMUP_RUNS = 20

Pushed = tuple[float, float, dict[str, Any]]
"""A push: sent at, acknowledged at (`time.time()`), the event the daemon returned."""


def client(address: str) -> httpx.Client:
    return httpx.Client(base_url=address, timeout=30.0)


def paced_pushes(
    clients: Sequence[httpx.Client], key: str, count: int, per_second: float
) -> list[Pushed]:
    """Push `count` events one at a time, the i-th to `clients[i % len(clients)]` (a load
    balancer's round robin; one client is one daemon)."""
    pushed: list[Pushed] = []

    def push(i: int) -> None:
        sent = time.time()
        response = clients[i % len(clients)].post(
            "/api/v1/events", json={"key": key, "data": {"i": i}}
        )
        response.raise_for_status()
        pushed.append((sent, time.time(), response.json()))

    load.paced(count, per_second, push)
    return pushed


def bulk_senders(
    addresses: Sequence[str], key: str, total: int, batch: int, pushers: int
) -> list[Callable[[], None]]:
    """`pushers` senders of `total` events in bulk requests of at most `batch`, the requests
    dealt round-robin to the pushers and, in the same order, to `addresses`."""
    senders: list[Callable[[], None]] = []
    for first, sizes in enumerate(load.spread(total, batch, pushers)):
        # The pusher's j-th request is the (first + j * pushers)-th dealt.
        targets = [addresses[(first + j * pushers) % len(addresses)] for j in range(len(sizes))]
        senders.append(partial(_send_bulk, key, list(zip(targets, sizes, strict=True))))
    return senders


def _send_bulk(key: str, requests: list[tuple[str, int]]) -> None:
    clients = {address: client(address) for address in {a for a, _ in requests}}
    try:
        for address, size in requests:
            events = [{"key": key, "data": {"i": i}} for i in range(size)]
            response = clients[address].post("/api/v1/events/bulk", json={"events": events})
            response.raise_for_status()
    finally:
        for each in clients.values():
            each.close()


def latency_figures(pushed: Sequence[Pushed], traces: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Push → step start (the worker's clock, and the daemon's trace), and push → acknowledged,
    of one-step runs; `traces` are their `GET /api/v1/runs/{id}`, in push order."""
    to_worker, to_trace, ack, failed = [], [], [], 0
    for (sent, acked, event), trace in zip(pushed, traces, strict=True):
        step = trace["jobs"][0]["step_runs"][0]
        if step["status"] != "SUCCEEDED":
            failed += 1
            continue
        to_worker.append(step["output"]["started"] - sent)
        to_trace.append(load.epoch(step["started_at"]) - load.epoch(event["created_at"]))
        ack.append(acked - sent)
    return {
        "samples": len(pushed),
        "push_to_start": summary_ms(to_worker),
        "push_to_start_trace": summary_ms(to_trace),
        "push_ack": summary_ms(ack),
        "failed": failed,
    }


class StoreView:
    """The daemon's SQLite file, opened read-only."""

    def __init__(self, path: Path) -> None:
        self._conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)

    def events(self) -> int:
        return int(self._conn.execute("SELECT count(*) FROM events").fetchone()[0])

    def runs_by_status(self) -> dict[str, int]:
        rows = self._conn.execute("SELECT status, count(*) FROM workflow_runs GROUP BY status")
        return dict(rows)

    def final(self) -> int:
        counts = self.runs_by_status()
        return sum(counts.get(status, 0) for status in FINAL)

    def final_among(self, run_ids: Sequence[str]) -> int:
        marks = ",".join("?" * len(run_ids))
        query = f"SELECT count(*) FROM workflow_runs WHERE id IN ({marks}) AND status IN (?, ?, ?)"
        row = self._conn.execute(query, (*run_ids, *FINAL)).fetchone()
        return int(row[0])

    def close(self) -> None:
        self._conn.close()


class Hatchet:
    """A daemon, its worker, and the figures measured against them."""

    def __init__(self, cfg: Config, directory: Path) -> None:
        self.cfg = cfg
        self.daemon = procs.start_hatchetd(directory, WORKFLOWS)
        try:
            self.worker = procs.start_worker(self.daemon, directory, slots=cfg.slots)
        except BaseException:
            self.daemon.service.stop()
            raise
        self.store = StoreView(self.daemon.database)
        self.address = self.daemon.address

    def close(self) -> dict[str, int | None]:
        self.store.close()
        return {"worker_exit": self.worker.stop(), "hatchetd_exit": self.daemon.service.stop()}

    def client(self) -> httpx.Client:
        return client(self.address)

    def commits(self) -> int:
        return self.daemon.service.counters()["commits"]

    def cpu(self) -> tuple[float, float]:
        return self.daemon.service.cpu_seconds(), self.worker.cpu_seconds()

    def wait_runs(self, run_ids: Sequence[str], what: str) -> None:
        load.wait_until(
            lambda: self.store.final_among(run_ids),
            len(run_ids),
            timeout=self.cfg.phase_timeout,
            interval=0.005,
            what=what,
        )

    # -- figures ------------------------------------------------------------------------------

    def warm_up(self) -> None:
        with self.client() as client:
            pushed = paced_pushes([client], ONE_KEY, WARMUP_RUNS, 200.0)
        self.wait_runs([event["run_ids"][0] for _, _, event in pushed], "the warm-up runs")

    def latency(self) -> dict[str, Any]:
        """Push → step start at low load: one sequential pusher at `latency_rate`."""
        cfg = self.cfg
        c0 = self.commits()
        with self.client() as client:
            pushed = paced_pushes([client], ONE_KEY, cfg.latency_samples, cfg.latency_rate)
            run_ids = [event["run_ids"][0] for _, _, event in pushed]
            self.wait_runs(run_ids, "the latency runs")
            commits = self.commits() - c0
            traces = [client.get(f"/api/v1/runs/{run_id}").json() for run_id in run_ids]
        return {
            **latency_figures(pushed, traces),
            "pushes_per_s": cfg.latency_rate,
            "commits_per_run": round(commits / cfg.latency_samples, 3),
        }

    def chain(self) -> dict[str, Any]:
        """A three-step chain at low load: push → third step starts, push → run SUCCEEDED."""
        cfg = self.cfg
        with self.client() as client:
            pushed = paced_pushes([client], CHAIN_KEY, cfg.chain_samples, cfg.chain_rate)
            run_ids = [event["run_ids"][0] for _, _, event in pushed]
            self.wait_runs(run_ids, "the chain runs")
            traces = [client.get(f"/api/v1/runs/{run_id}").json() for run_id in run_ids]
        third, done, failed = [], [], 0
        for (sent, _, _), trace in zip(pushed, traces, strict=True):
            if trace["run"]["status"] != "SUCCEEDED":
                failed += 1
                continue
            last = trace["jobs"][0]["step_runs"][-1]
            third.append(last["output"]["started"] - sent)
            done.append(load.epoch(trace["run"]["finished_at"]) - sent)
        return {
            "samples": cfg.chain_samples,
            "pushes_per_s": cfg.chain_rate,
            "push_to_third_start": summary_ms(third),
            "push_to_succeeded": summary_ms(done),
            "failed": failed,
        }

    def throughput(self) -> dict[str, Any]:
        """N one-step runs: bulk pushes from concurrent pushers, first push → last SUCCEEDED."""
        cfg = self.cfg
        base = self.store.final()
        c0, (d0, w0) = self.commits(), self.cpu()
        senders = bulk_senders([self.address], ONE_KEY, cfg.runs, cfg.push_batch, cfg.pushers)
        started, done_at, pushed_at = load.drive(
            senders,
            self.store.final,
            base + cfg.runs,
            timeout=cfg.phase_timeout,
            what="the throughput runs to finish",
        )
        d1, w1 = self.cpu()
        commits = self.commits() - c0
        statuses = self.store.runs_by_status()
        elapsed = done_at - started
        return {
            "runs": cfg.runs,
            "bulk_size": cfg.push_batch,
            "pushers": cfg.pushers,
            "elapsed_s": round(elapsed, 3),
            "runs_per_s": rate(cfg.runs, elapsed),
            "pushed_per_s": rate(cfg.runs, pushed_at - started),
            "commits": commits,
            "commits_per_run": round(commits / cfg.runs, 3),
            "not_succeeded": sum(v for k, v in statuses.items() if k != "SUCCEEDED"),
            "daemon_cpu_s": round(d1 - d0, 2),
            "worker_cpu_s": round(w1 - w0, 2),
            "daemon_cpu_ms_per_run": round((d1 - d0) / cfg.runs * 1000, 3),
        }

    def ingest(self, *, bulk: bool) -> dict[str, Any]:
        """Events matching no workflow, pushed one per request or in bulk; acknowledged
        (durable) events per second."""
        cfg = self.cfg
        total = cfg.ingest_bulk if bulk else cfg.ingest_single
        size = cfg.ingest_bulk_batch if bulk else 1
        parts = cfg.pushers if bulk else cfg.ingest_concurrency
        c0, (d0, _) = self.commits(), self.cpu()

        def pusher(sizes: list[int]) -> Callable[[], None]:
            def send() -> None:
                with self.client() as client:
                    for n in sizes:
                        if bulk:
                            events = [{"key": INGEST_KEY, "data": {"i": i}} for i in range(n)]
                            response = client.post("/api/v1/events/bulk", json={"events": events})
                        else:
                            body = {"key": INGEST_KEY, "data": {"i": 0}}
                            response = client.post("/api/v1/events", json=body)
                        response.raise_for_status()

            return send

        started = time.time()
        finished = load.concurrently([pusher(s) for s in load.spread(total, size, parts)])
        d1, _ = self.cpu()
        commits = self.commits() - c0
        return {
            "events": total,
            "per_request": size,
            "concurrency": parts,
            "events_per_s": rate(total, finished - started),
            "commits_per_event": round(commits / total, 4),
            "daemon_cpu_ms_per_event": round((d1 - d0) / total * 1000, 3),
        }

    def hot_reload(self) -> dict[str, Any]:
        """Save a new workflow file (write a hidden file, rename it into place, as editors do)
        → the workflow is listed by GET /api/v1/workflows."""
        samples: list[float] = []
        with self.client() as client:

            def listed(name: str) -> bool:
                workflows = client.get("/api/v1/workflows").json()["workflows"]
                return any(w["name"] == name for w in workflows)

            for i in range(self.cfg.reloads):
                name = f"bench-reload-{i}"
                text = WORKFLOWS[f"{ONE_STEP}.yaml"].replace(ONE_STEP, name)
                text = text.replace(ONE_KEY, f"bench:reload:{i}")
                hidden = self.daemon.folder / f".{name}.tmp"
                hidden.write_text(text)
                saved = time.perf_counter()
                hidden.replace(self.daemon.folder / f"{name}.yaml")
                procs.wait_for(partial(listed, name), timeout=10.0, what=f"{name} to load")
                samples.append(time.perf_counter() - saved)
                time.sleep(0.15)  # let the watcher go quiet: each save is a burst of its own
        return {"reload": summary_ms(samples)}

    def tui_first_paint(self) -> dict[str, Any]:
        """Open `hatchet tui` (headless, under Textual's test driver, in this process) on a
        history of `tui_history` events: the time from starting the app until the events view
        shows its first page."""
        from bench.tui_probe import first_paint

        missing = self.cfg.tui_history - self.store.events()
        with self.client() as client:
            while missing > 0:
                n = min(missing, 1000)
                events = [{"key": INGEST_KEY, "data": {"i": i}} for i in range(n)]
                client.post("/api/v1/events/bulk", json={"events": events}).raise_for_status()
                missing -= n
        samples = [first_paint(self.address) for _ in range(self.cfg.tui_opens)]
        return {"history": self.store.events(), "first_paint": summary_ms(samples)}

    def cli_push(self) -> dict[str, Any]:
        """Wall time of the `hatchet events push` console script against the running daemon:
        start-up, the push (a key no workflow matches), exit."""
        command = [
            str(Path(sys.executable).parent / "hatchet"),
            "--address",
            self.address,
            "events",
            "push",
            INGEST_KEY,
            "--data",
            '{"cli": true}',
            "-o",
            "id",
        ]
        samples: list[float] = []
        for _ in range(self.cfg.help_runs):
            started = time.perf_counter()
            done = subprocess.run(command, capture_output=True, text=True, check=False, timeout=30)
            if done.returncode != 0:
                raise RuntimeError(f"hatchet events push: exit {done.returncode}: {done.stderr}")
            samples.append(time.perf_counter() - started)
        return {"push": summary_ms(samples)}


def run(cfg: Config, directory: Path, log: Callable[[str], None]) -> dict[str, Any]:
    """Every hatchet-cli figure, on one daemon and one worker."""
    hatchet = Hatchet(cfg, directory)
    results: dict[str, Any] = {}
    try:
        hatchet.warm_up()
        results["memory_idle"] = {
            "hatchetd": hatchet.daemon.service.memory_mib(),
            "worker": hatchet.worker.memory_mib(),
        }
        for name, figure in (
            ("latency", hatchet.latency),
            ("chain", hatchet.chain),
            ("throughput", hatchet.throughput),
            ("app_path", lambda: app_path.hatchet(cfg, hatchet.address, ONE_KEY, CHAIN_KEY)),
            ("ingest_single", lambda: hatchet.ingest(bulk=False)),
            ("ingest_bulk", lambda: hatchet.ingest(bulk=True)),
            ("hot_reload", hatchet.hot_reload),
            ("cli_push", hatchet.cli_push),
            ("tui", hatchet.tui_first_paint),
        ):
            log(f"hatchet: {name}")
            elsewhere = Elsewhere([hatchet.daemon.service.pid, hatchet.worker.pid])
            results[name] = measured(figure, log)
            results[name]["cpu_elsewhere"] = elsewhere.shares()
        results["memory_after"] = {
            "hatchetd": hatchet.daemon.service.memory_mib(),
            "worker": hatchet.worker.memory_mib(),
        }
    finally:
        results["exit"] = hatchet.close()
    return results
