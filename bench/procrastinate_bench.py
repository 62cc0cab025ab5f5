"""procrastinate's figures: the same work as hatchetd's PG section, on the same server.

The benchmark process defers through procrastinate's public API (`Task.defer`, one task per
call; `Task.batch_defer` for the bulk counterpart of hatchet's bulk pushes); a real `procrastinate
worker` process with `pg_slots` concurrency runs them. Completion is a job's status in
`procrastinate_jobs` ('succeeded'); start times come from the task's journal (procrastinate
stores no results), and the daemon-side counterpart of hatchet's trace from
`procrastinate_events` (the 'deferred' and 'started' events, both stamped by PostgreSQL).
"""

from __future__ import annotations

import contextlib
import time
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bench import load, pg_server, procs
from bench.config import Config
from bench.stats import Elsewhere, cpu_seconds_named, measured, rate, summary_ms

if TYPE_CHECKING:  # procrastinate is imported when measured: a missing one is a clear error
    from procrastinate.types import JSONDict

WARMUP_TASKS = 20
_FINAL = "('succeeded', 'failed', 'cancelled', 'aborted')"


class Procrastinate:
    """A fresh procrastinate schema, its worker, and the figures measured against them."""

    def __init__(self, cfg: Config, directory: Path, url: str) -> None:
        try:
            from bench import procrastinate_app
        except ImportError as exc:
            raise procs.BenchError(
                f"procrastinate is not installed ({exc}): pip install -r bench/requirements.txt"
            ) from None
        self.cfg = cfg
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)
        self.journal = directory / "starts.txt"
        self.journal.touch()
        # The app's own connector points at `$BENCH_PROCRASTINATE_DB` (the worker's); this
        # process defers through a pool of its own on this run's database, one per pusher.
        self._stack = contextlib.ExitStack()
        self.app = self._stack.enter_context(
            procrastinate_app.app.replace_connector(procrastinate_app.connector(url, cfg.pushers))
        )
        self.task = procrastinate_app.noop
        self.deferred = 0
        self.worker: procs.Service | None = None
        try:
            self.app.open()
            self._stack.callback(self.app.close)
            self.app.schema_manager.apply_schema()
            self.conn = pg_server.connect(url)
            self.worker = self._start_worker(procrastinate_app, url)
        except BaseException:
            self.close()
            raise

    def _start_worker(self, module: Any, url: str) -> procs.Service:
        worker = procs.start(
            "procrastinate_worker",
            [
                procs.PYTHON,
                "-m",
                "procrastinate",
                "--app",
                "bench.procrastinate_app.app",
                # Its CLI logs two INFO lines per job by default; hatchetd runs at WARNING.
                "--log-level=warning",
                "worker",
                f"--concurrency={self.cfg.pg_slots}",
            ],
            self.directory,
            {
                module.DB_VARIABLE: url,
                module.STARTS_VARIABLE: str(self.journal),
                module.POOL_VARIABLE: str(self.cfg.pg_slots),
            },
        )

        def registered() -> bool:
            worker.check_alive()
            return self._one("SELECT count(*) FROM procrastinate_workers") > 0

        procs.wait_for(
            registered, timeout=procs.START_DEADLINE, what="procrastinate's worker", interval=0.02
        )
        return worker

    def close(self) -> dict[str, int | None]:
        code = self.worker.stop() if self.worker is not None else None
        if hasattr(self, "conn"):
            self.conn.close()
        self._stack.close()
        return {"worker_exit": code}

    def _one(self, query: str, *params: Any) -> int:
        row = self.conn.execute(query, params).fetchone()
        return int(row[0]) if row else 0

    def final(self) -> int:
        return self._one(f"SELECT count(*) FROM procrastinate_jobs WHERE status IN {_FINAL}")

    def final_among(self, job_ids: Sequence[int]) -> int:
        query = f"SELECT count(*) FROM procrastinate_jobs WHERE id = ANY(%s) AND status IN {_FINAL}"
        return self._one(query, list(job_ids))

    def starts(self) -> list[tuple[int, float]]:
        """(job id, started at) for every execution the worker journaled so far."""
        found = []
        for line in self.journal.read_text().splitlines():
            job_id, started = line.split()
            found.append((int(job_id), float(started)))
        return found

    def cpu(self) -> tuple[float, float]:
        assert self.worker is not None
        return self.worker.cpu_seconds(), cpu_seconds_named("postgres")

    def paced(self, count: int, per_second: float) -> list[tuple[float, float, int]]:
        """Defer one at a time; (sent at, deferred at, job id) for each."""
        sent: list[tuple[float, float, int]] = []

        def defer(i: int) -> None:
            at = time.time()
            job_id = self.task.defer(i=i)
            sent.append((at, time.time(), job_id))

        load.paced(count, per_second, defer)
        self.deferred += count
        return sent

    def wait_jobs(self, job_ids: Sequence[int], what: str) -> None:
        load.wait_until(
            lambda: self.final_among(job_ids),
            len(job_ids),
            timeout=self.cfg.phase_timeout,
            interval=0.005,
            what=what,
        )

    # -- figures ------------------------------------------------------------------------------

    def warm_up(self) -> None:
        sent = self.paced(WARMUP_TASKS, 200.0)
        self.wait_jobs([job_id for _, _, job_id in sent], "the warm-up tasks")

    def latency(self) -> dict[str, Any]:
        """Defer → task start at low load: one sequential deferrer at `latency_rate`."""
        cfg = self.cfg
        sent = self.paced(cfg.latency_samples, cfg.latency_rate)
        job_ids = [job_id for _, _, job_id in sent]
        self.wait_jobs(job_ids, "the latency tasks")
        started = dict(self.starts())
        trace = dict(
            self.conn.execute(
                "SELECT d.job_id, extract(epoch FROM s.at - d.at) FROM procrastinate_events d"
                " JOIN procrastinate_events s ON s.job_id = d.job_id AND s.type = 'started'"
                " WHERE d.type = 'deferred' AND d.job_id = ANY(%s)",
                (job_ids,),
            ).fetchall()
        )
        return {
            "samples": cfg.latency_samples,
            "pushes_per_s": cfg.latency_rate,
            "push_to_start": summary_ms([started[i] - at for at, _, i in sent if i in started]),
            "push_to_start_trace": summary_ms([float(trace[i]) for i in job_ids if i in trace]),
            "push_ack": summary_ms([acked - at for at, acked, _ in sent]),
            "failed": len(job_ids) - len([i for i in job_ids if i in started]),
        }

    def throughput(self, *, batch: bool) -> dict[str, Any]:
        """N tasks deferred by concurrent deferrers, one per call (or `batch_defer` of
        `push_batch`); first defer → last job succeeded."""
        cfg = self.cfg
        base = self.final()
        w0, p0 = self.cpu()

        def sender(sizes: list[int]) -> Callable[[], None]:
            def send() -> None:
                for size in sizes:
                    if batch:
                        jobs: list[JSONDict] = [{"i": i} for i in range(size)]
                        self.task.batch_defer(*jobs)
                    else:
                        for i in range(size):
                            self.task.defer(i=i)

            return send

        parts = load.spread(cfg.pg_runs, cfg.push_batch, cfg.pushers)
        self.deferred += cfg.pg_runs
        started, done_at, deferred_at = load.drive(
            [sender(p) for p in parts],
            self.final,
            base + cfg.pg_runs,
            timeout=cfg.phase_timeout,
            what="the throughput tasks to finish",
        )
        w1, p1 = self.cpu()
        elapsed = done_at - started
        return {
            "runs": cfg.pg_runs,
            "bulk_size": cfg.push_batch if batch else 1,
            "pushers": cfg.pushers,
            "elapsed_s": round(elapsed, 3),
            "runs_per_s": rate(cfg.pg_runs, elapsed),
            "pushed_per_s": rate(cfg.pg_runs, deferred_at - started),
            "worker_cpu_ms_per_run": round((w1 - w0) / cfg.pg_runs * 1000, 3),
            "postgres_cpu_ms_per_run": round((p1 - p0) / cfg.pg_runs * 1000, 3),
        }

    def exactly_once(self) -> dict[str, Any]:
        """Every task deferred is stored, succeeded, and ran once (the worker's journal)."""
        statuses = dict(
            self.conn.execute("SELECT status, count(*) FROM procrastinate_jobs GROUP BY status")
        )
        calls = Counter(job_id for job_id, _ in self.starts())
        job_ids = [row[0] for row in self.conn.execute("SELECT id FROM procrastinate_jobs")]
        per_job = Counter(calls.get(job_id, 0) for job_id in job_ids)
        executions = {str(n): jobs for n, jobs in sorted(per_job.items())}
        return {
            "events_pushed": self.deferred,
            "runs_stored": len(job_ids),
            "runs_by_status": {str(k): int(v) for k, v in statuses.items()},
            "executions_per_run": executions,
            "exactly_once": len(job_ids) == self.deferred
            and statuses == {"succeeded": self.deferred}
            and executions == {"1": self.deferred},
        }


def run(cfg: Config, directory: Path, url: str, log: Callable[[str], None]) -> dict[str, Any]:
    """Every figure procrastinate has a counterpart for in the PG section."""
    peer = Procrastinate(cfg, directory, url)
    results: dict[str, Any] = {"concurrency": cfg.pg_slots}
    try:
        peer.warm_up()
        for name, figure in (
            ("latency", peer.latency),
            ("throughput", lambda: peer.throughput(batch=False)),
            ("throughput_batch", lambda: peer.throughput(batch=True)),
        ):
            log(f"procrastinate: {name}")
            assert peer.worker is not None
            elsewhere = Elsewhere([peer.worker.pid], names=("postgres",))
            results[name] = measured(figure, log)
            results[name]["cpu_elsewhere"] = elsewhere.shares()
        results["exactly_once"] = measured(peer.exactly_once, log)
    finally:
        results["exit"] = peer.close()
    return results
