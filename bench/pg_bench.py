"""hatchetd on PostgreSQL with N replicas: N real daemons on one fresh database, one real SDK
worker on each, pushes dealt round-robin over the replicas as a load balancer would.

The worker slots are `pg_slots` in total whatever N is (each worker gets pg_slots / N), so the
replica counts differ only in how many daemons share the work. Completion is read from the
database; per-run times from `GET /api/v1/runs/{id}` (the same figures as on SQLite, from
`hatchet_bench`). At the end every run is checked for exactly one execution, in the store (step
runs SUCCEEDED per run) and in the workers (action calls per run, from their journals).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import httpx

from bench import load, pg_server, procs
from bench.config import Config
from bench.hatchet_bench import (
    FINAL,
    ONE_KEY,
    WARMUP_RUNS,
    WORKFLOWS,
    bulk_senders,
    client,
    latency_figures,
    paced_pushes,
)
from bench.stats import Elsewhere, cpu_seconds_named, measured, rate

_FINAL_SQL = "(" + ", ".join(f"'{status}'" for status in FINAL) + ")"
LOG_MARKS = ("ERROR", "Traceback", "collided")
"""What the daemons' logs are searched for after the figures (hatchetd logs at WARNING)."""


class PgStoreView:
    """The replicas' database, read by the benchmark between and after the figures."""

    def __init__(self, url: str) -> None:
        self._conn = pg_server.connect(url)

    def _one(self, query: str, *params: Any) -> int:
        row = self._conn.execute(query, params).fetchone()
        return int(row[0]) if row else 0

    def final(self) -> int:
        return self._one(f"SELECT count(*) FROM workflow_runs WHERE status IN {_FINAL_SQL}")

    def final_among(self, run_ids: Sequence[str]) -> int:
        query = f"SELECT count(*) FROM workflow_runs WHERE id = ANY(%s) AND status IN {_FINAL_SQL}"
        return self._one(query, list(run_ids))

    def runs_by_status(self) -> dict[str, int]:
        rows = self._conn.execute("SELECT status, count(*) FROM workflow_runs GROUP BY status")
        return {str(status): int(n) for status, n in rows}

    def exactly_once(self) -> dict[str, Any]:
        """Events and runs stored, and how many step runs SUCCEEDED for each run (a histogram:
        `{"1": runs}` when every run executed once), and how many step runs exist at all."""
        per_run = self._conn.execute(
            "SELECT n, count(*) FROM (SELECT r.id, count(s.id) AS n FROM workflow_runs r"
            " LEFT JOIN step_runs s ON s.workflow_run_id = r.id AND s.status = 'SUCCEEDED'"
            " GROUP BY r.id) AS t GROUP BY n ORDER BY n"
        )
        return {
            "events_stored": self._one("SELECT count(*) FROM events"),
            "runs_stored": self._one("SELECT count(*) FROM workflow_runs"),
            "step_runs_stored": self._one("SELECT count(*) FROM step_runs"),
            "runs_by_status": self.runs_by_status(),
            "succeeded_step_runs_per_run": {str(n): int(runs) for n, runs in per_run},
        }

    def run_ids(self) -> list[str]:
        return [str(row[0]) for row in self._conn.execute("SELECT id FROM workflow_runs")]

    def close(self) -> None:
        self._conn.close()


class Cluster:
    """N replicas on one database, a worker on each, and the figures measured against them."""

    def __init__(self, cfg: Config, directory: Path, url: str, replicas: int) -> None:
        self.cfg = cfg
        self.daemons: list[procs.Daemon] = []
        self.workers: list[procs.Service] = []
        self.journals = [directory / f"replica-{i}" / "starts.txt" for i in range(replicas)]
        self.pushed = 0
        """Events pushed so far: what the store must hold at the end."""
        try:
            # One after another: the first applies the migrations, the others find them done.
            for i in range(replicas):
                self.daemons.append(
                    procs.start_hatchetd(directory / f"replica-{i}", WORKFLOWS, db_url=url)
                )
            for i, daemon in enumerate(self.daemons):
                worker = procs.start_worker(
                    daemon,
                    directory / f"replica-{i}",
                    slots=cfg.pg_slots // replicas,
                    name=f"bench-worker-{i}",
                    starts=self.journals[i],
                )
                self.workers.append(worker)
            self.store = PgStoreView(url)
        except BaseException:
            self.close()
            raise
        self.addresses = [daemon.address for daemon in self.daemons]

    def close(self) -> dict[str, list[int | None]]:
        if hasattr(self, "store"):
            self.store.close()
        return {
            "worker_exit": [worker.stop() for worker in self.workers],
            "hatchetd_exit": [daemon.service.stop() for daemon in self.daemons],
        }

    def pids(self) -> list[int]:
        return [d.service.pid for d in self.daemons] + [w.pid for w in self.workers]

    def commits(self) -> int:
        return sum(daemon.service.counters()["commits"] for daemon in self.daemons)

    def cpu(self) -> tuple[float, float, float]:
        """CPU seconds so far: the daemons, the workers, PostgreSQL."""
        return (
            sum(daemon.service.cpu_seconds() for daemon in self.daemons),
            sum(worker.cpu_seconds() for worker in self.workers),
            cpu_seconds_named("postgres"),
        )

    def wait_runs(self, run_ids: Sequence[str], what: str) -> None:
        load.wait_until(
            lambda: self.store.final_among(run_ids),
            len(run_ids),
            timeout=self.cfg.phase_timeout,
            interval=0.005,
            what=what,
        )

    def paced(self, count: int, per_second: float) -> list[tuple[float, float, dict[str, Any]]]:
        clients = [client(address) for address in self.addresses]
        try:
            pushed = paced_pushes(clients, ONE_KEY, count, per_second)
        finally:
            for each in clients:
                each.close()
        self.pushed += count
        return pushed

    # -- figures ------------------------------------------------------------------------------

    def status(self) -> list[dict[str, Any]]:
        """Each replica's own view: its role and how many replicas it sees serving the store."""
        views = []
        for address in self.addresses:
            body = httpx.get(f"{address}/api/v1/status", timeout=10.0).json()
            views.append({key: body.get(key) for key in ("replica_id", "leader", "replicas")})
        return views

    def warm_up(self) -> None:
        pushed = self.paced(WARMUP_RUNS, 200.0)
        self.wait_runs([event["run_ids"][0] for _, _, event in pushed], "the warm-up runs")

    def latency(self) -> dict[str, Any]:
        """Push → step start at low load: one sequential pusher, round robin over the replicas."""
        cfg = self.cfg
        c0 = self.commits()
        pushed = self.paced(cfg.latency_samples, cfg.latency_rate)
        run_ids = [event["run_ids"][0] for _, _, event in pushed]
        self.wait_runs(run_ids, "the latency runs")
        commits = self.commits() - c0
        with client(self.addresses[0]) as reader:
            traces = [reader.get(f"/api/v1/runs/{run_id}").json() for run_id in run_ids]
        return {
            **latency_figures(pushed, traces),
            "pushes_per_s": cfg.latency_rate,
            "commits_per_run": round(commits / cfg.latency_samples, 3),
        }

    def throughput(self) -> dict[str, Any]:
        """N one-step runs: bulk pushes from concurrent pushers dealt round-robin over the
        replicas; first push → last run SUCCEEDED in the store."""
        cfg = self.cfg
        base = self.store.final()
        c0, (d0, w0, p0) = self.commits(), self.cpu()
        senders = bulk_senders(self.addresses, ONE_KEY, cfg.pg_runs, cfg.push_batch, cfg.pushers)
        self.pushed += cfg.pg_runs
        started, done_at, pushed_at = load.drive(
            senders,
            self.store.final,
            base + cfg.pg_runs,
            timeout=cfg.phase_timeout,
            what="the throughput runs to finish",
        )
        d1, w1, p1 = self.cpu()
        commits = self.commits() - c0
        elapsed = done_at - started
        return {
            "runs": cfg.pg_runs,
            "bulk_size": cfg.push_batch,
            "pushers": cfg.pushers,
            "elapsed_s": round(elapsed, 3),
            "runs_per_s": rate(cfg.pg_runs, elapsed),
            "pushed_per_s": rate(cfg.pg_runs, pushed_at - started),
            "commits_per_run": round(commits / cfg.pg_runs, 3),
            "daemon_cpu_ms_per_run": round((d1 - d0) / cfg.pg_runs * 1000, 3),
            "worker_cpu_ms_per_run": round((w1 - w0) / cfg.pg_runs * 1000, 3),
            "postgres_cpu_ms_per_run": round((p1 - p0) / cfg.pg_runs * 1000, 3),
        }

    def exactly_once(self) -> dict[str, Any]:
        """Every event pushed is stored, has one run, and that run executed once: one step run
        SUCCEEDED in the store, one call of the action in the workers' journals."""
        found = self.store.exactly_once()
        calls = Counter(
            line for journal in self.journals for line in journal.read_text().split() if line
        )
        per_run = Counter(calls.get(run_id, 0) for run_id in self.store.run_ids())
        found["events_pushed"] = self.pushed
        found["executions_per_run"] = {str(n): runs for n, runs in sorted(per_run.items())}
        runs_ok = found["succeeded_step_runs_per_run"] == {"1": self.pushed}
        found["exactly_once"] = (
            found["events_stored"] == self.pushed
            and found["runs_stored"] == self.pushed
            and runs_ok
            and found["executions_per_run"] == {"1": self.pushed}
        )
        return found

    def log_marks(self) -> dict[str, int]:
        """Lines of the daemons' logs that name each of LOG_MARKS."""
        counts = dict.fromkeys(LOG_MARKS, 0)
        for daemon in self.daemons:
            for line in daemon.service.log.read_text(errors="replace").splitlines():
                for mark in LOG_MARKS:
                    counts[mark] += mark in line
        return counts


def run(
    cfg: Config, directory: Path, url: str, replicas: int, log: Callable[[str], None]
) -> dict[str, Any]:
    """The PG figures of hatchetd with `replicas` replicas on the (fresh) database `url`."""
    cluster = Cluster(cfg, directory, url, replicas)
    results: dict[str, Any] = {"replicas": replicas, "slots": cfg.pg_slots}
    try:
        cluster.warm_up()
        results["status"] = measured(lambda: {"replicas": cluster.status()}, log)
        for name, figure in (("latency", cluster.latency), ("throughput", cluster.throughput)):
            log(f"hatchetd on PostgreSQL, {replicas} replica(s): {name}")
            elsewhere = Elsewhere(cluster.pids(), names=("postgres",))
            results[name] = measured(figure, log)
            results[name]["cpu_elsewhere"] = elsewhere.shares()
        results["exactly_once"] = measured(cluster.exactly_once, log)
    finally:
        results["exit"] = cluster.close()
        results["log_lines"] = cluster.log_marks()
    return results
