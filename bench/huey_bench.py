"""huey's figures: the same work through `SqliteHuey` (fsync on) and a thread consumer.

The benchmark process enqueues (huey's "push") and reads results with huey's own storage calls;
a real `huey_consumer` process runs the tasks. A task's result (its start time) is stored by the
consumer, so "done" means the result is committed, as SUCCEEDED is for hatchet.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from bench import app_path, load, procs
from bench.config import Config
from bench.stats import Elsewhere, measured, rate, summary_ms

WARMUP_TASKS = 20


class Huey:
    """A huey database, its consumer, and the figures measured against them."""

    def __init__(self, cfg: Config, directory: Path) -> None:
        self.cfg = cfg
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)
        database = directory / "huey.db"
        # The app module reads its database path at import.
        os.environ["BENCH_HUEY_DB"] = str(database)
        try:
            from bench import huey_app
        except ImportError as exc:
            raise procs.BenchError(
                f"huey is not installed ({exc}): pip install -r bench/requirements.txt"
            ) from None

        if huey_app.huey.storage.filename != str(database):
            raise procs.BenchError("bench.huey_app was imported before its database was chosen")
        self.app = huey_app
        self.huey: Any = huey_app.huey
        self.consumer: procs.Service | None = None

    def start_consumer(self) -> procs.Service:
        cfg = self.cfg
        self.consumer = procs.start(
            "huey_consumer",
            [
                procs.PYTHON,
                "-m",
                "huey.bin.huey_consumer",
                "bench.huey_app.huey",
                "--worker-type=thread",
                f"--workers={cfg.huey_workers}",
                f"--delay={cfg.huey_delay}",
                f"--max-delay={cfg.huey_max_delay}",
                "--backoff=1.15",
                "--quiet",
            ],
            self.directory,
            {"BENCH_HUEY_DB": os.environ["BENCH_HUEY_DB"]},
            stats=True,
        )
        return self.consumer

    def close(self) -> dict[str, int | None]:
        code = self.consumer.stop(signal.SIGINT) if self.consumer is not None else None
        self.huey.storage.close()
        return {"consumer_exit": code}

    def commits(self) -> int:
        """Commits made so far, here (enqueues) and in the consumer."""
        assert self.consumer is not None
        return self.app.commits() + self.consumer.counters()["commits"]

    def results(self, ids: Sequence[str]) -> dict[str, float]:
        """The stored results among `ids` (peeked: reading leaves them, and commits nothing)."""
        found: dict[str, float] = {}
        for start in range(0, len(ids), 500):
            raw = self.huey.storage.peek_many(list(ids[start : start + 500]))
            found.update({key: self.huey.serializer.deserialize(v) for key, v in raw.items()})
        return found

    def wait_results(self, ids: Sequence[str], what: str) -> dict[str, float]:
        load.wait_until(
            lambda: len(self.results(ids)),
            len(ids),
            timeout=self.cfg.phase_timeout,
            interval=0.005,
            what=what,
        )
        return self.results(ids)

    def paced_enqueues(
        self, enqueue_one: Callable[[], str], count: int, per_second: float
    ) -> list[tuple[float, float, str]]:
        """Enqueue one at a time; (sent at, enqueued at, the id of the result to wait for)."""
        sent: list[tuple[float, float, str]] = []

        def enqueue(_: int) -> None:
            at = time.time()
            task_id = enqueue_one()
            sent.append((at, time.time(), task_id))

        load.paced(count, per_second, enqueue)
        return sent

    # -- figures ------------------------------------------------------------------------------

    def ingest(self) -> dict[str, Any]:
        """Enqueue tasks with no consumer running: acknowledged (committed) enqueues per second."""
        cfg = self.cfg
        c0 = self.app.commits()

        def sender(sizes: list[int]) -> Callable[[], None]:
            def send() -> None:
                for _ in range(sum(sizes)):
                    self.app.noop()

            return send

        started = time.time()
        parts = load.spread(cfg.ingest_single, 1, cfg.ingest_concurrency)
        finished = load.concurrently([sender(p) for p in parts])
        commits = self.app.commits() - c0
        self.huey.storage.flush_queue()
        return {
            "events": cfg.ingest_single,
            "per_request": 1,
            "concurrency": cfg.ingest_concurrency,
            "events_per_s": rate(cfg.ingest_single, finished - started),
            "commits_per_event": round(commits / cfg.ingest_single, 4),
        }

    def one(self) -> str:
        """Enqueue one noop task; its id."""
        return str(self.app.noop().id)

    def warm_up(self) -> None:
        sent = self.paced_enqueues(self.one, WARMUP_TASKS, 200.0)
        self.wait_results([task_id for _, _, task_id in sent], "the warm-up tasks")

    def latency(self) -> dict[str, Any]:
        cfg = self.cfg
        c0 = self.commits()
        sent = self.paced_enqueues(self.one, cfg.latency_samples, cfg.latency_rate)
        started = self.wait_results([task_id for _, _, task_id in sent], "the latency tasks")
        commits = self.commits() - c0
        return {
            "samples": cfg.latency_samples,
            "pushes_per_s": cfg.latency_rate,
            "push_to_start": summary_ms([started[i] - at for at, _, i in sent]),
            "push_ack": summary_ms([acked - at for at, acked, _ in sent]),
            "commits_per_run": round(commits / cfg.latency_samples, 3),
        }

    def chain(self) -> dict[str, Any]:
        """A pipeline of three tasks, each enqueued by the consumer when the one before ends."""
        cfg = self.cfg
        noop = self.app.noop

        def pipeline() -> str:
            *_, last = self.huey.enqueue(noop.s().then(noop).then(noop))
            return str(last.id)

        sent = self.paced_enqueues(pipeline, cfg.chain_samples, cfg.chain_rate)
        started = self.wait_results([task_id for _, _, task_id in sent], "the chain tasks")
        return {
            "samples": cfg.chain_samples,
            "pushes_per_s": cfg.chain_rate,
            "push_to_third_start": summary_ms([started[i] - at for at, _, i in sent]),
        }

    def throughput(self) -> dict[str, Any]:
        cfg = self.cfg
        assert self.consumer is not None
        base = int(self.huey.storage.result_store_size())
        c0, cpu0 = self.commits(), self.consumer.cpu_seconds()

        def sender(sizes: list[int]) -> Callable[[], None]:
            def send() -> None:
                for _ in range(sum(sizes)):
                    self.app.noop()

            return send

        parts = load.spread(cfg.runs, cfg.push_batch, cfg.pushers)
        started = time.time()
        background = load.Background([sender(p) for p in parts])
        done_at = load.wait_until(
            lambda: int(self.huey.storage.result_store_size()),
            base + cfg.runs,
            timeout=cfg.phase_timeout,
            interval=0.01,
            what="the throughput tasks to finish",
        )
        pushed_at = background.join(cfg.phase_timeout)
        cpu1 = self.consumer.cpu_seconds()
        commits = self.commits() - c0
        elapsed = done_at - started
        return {
            "runs": cfg.runs,
            "pushers": cfg.pushers,
            "elapsed_s": round(elapsed, 3),
            "runs_per_s": rate(cfg.runs, elapsed),
            "pushed_per_s": rate(cfg.runs, pushed_at - started),
            "commits": commits,
            "commits_per_run": round(commits / cfg.runs, 3),
            "consumer_cpu_s": round(cpu1 - cpu0, 2),
            "consumer_cpu_ms_per_run": round((cpu1 - cpu0) / cfg.runs * 1000, 3),
        }


def run(cfg: Config, directory: Path, log: Callable[[str], None]) -> dict[str, Any]:
    """Every figure huey has a counterpart for."""
    peer = Huey(cfg, directory)
    results: dict[str, Any] = {
        "workers": cfg.huey_workers,
        "polling_s": [cfg.huey_delay, cfg.huey_max_delay],
    }
    try:
        log("huey: ingest_single")
        elsewhere = Elsewhere([])
        results["ingest_single"] = measured(peer.ingest, log)
        results["ingest_single"]["cpu_elsewhere"] = elsewhere.shares()
        consumer = peer.start_consumer()
        peer.warm_up()
        results["memory_idle"] = {"consumer": consumer.memory_mib()}
        for name, figure in (
            ("latency", peer.latency),
            ("chain", peer.chain),
            ("throughput", peer.throughput),
            ("app_path", lambda: app_path.huey(cfg, peer.app)),
        ):
            log(f"huey: {name}")
            elsewhere = Elsewhere([consumer.pid])
            results[name] = measured(figure, log)
            results[name]["cpu_elsewhere"] = elsewhere.shares()
        results["memory_after"] = {"consumer": consumer.memory_mib()}
    finally:
        results["exit"] = peer.close()
    return results
