"""How much work each figure does: the same for hatchet-cli and its peers (huey on SQLite,
procrastinate on PostgreSQL)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Config:
    runs: int = 5000
    """One-step runs (huey: tasks) for the throughput figure."""
    push_batch: int = 100
    """Events per bulk push in the throughput figure."""
    pushers: int = 4
    """Concurrent pushers (huey: enqueueing threads) in the throughput figure."""
    slots: int = 1000
    """The worker's slots: enough that no step run waits for one."""
    latency_samples: int = 200
    latency_rate: float = 50.0
    """Pushes per second of the single sequential pusher in the latency figure."""
    chain_samples: int = 50
    chain_rate: float = 20.0
    ingest_single: int = 3000
    """Events pushed one per request (huey: tasks enqueued) in the single-ingestion figure."""
    ingest_concurrency: int = 8
    ingest_bulk: int = 20000
    ingest_bulk_batch: int = 500
    app_samples: int = 200
    """Pushes waited for one at a time through each system's public client (`app_path.py`)."""
    app_burst: int = 500
    """Pushes one per call, then every result waited for (`app_path.py`)."""
    app_chain_samples: int = 50
    reloads: int = 10
    help_runs: int = 5
    startup_runs: int = 20
    """Rounds of `hatchet --help`, bare `python -c pass` and `import typer`, run in turn."""
    tui_history: int = 100_000
    """Events in the store when the TUI's first paint is timed."""
    tui_opens: int = 3
    huey_workers: int = 4
    """huey consumer threads."""
    huey_delay: float = 0.001
    """huey's polling interval when the queue is empty, from (`-d`)…"""
    huey_max_delay: float = 0.01
    """…backing off to (`-m`): tighter than huey's 0.1 s / 10 s defaults, for its latency."""
    phase_timeout: float = 90.0
    """No phase waits longer than this for its work to finish."""
    pg_url: str = "postgresql://postgres@127.0.0.1:5432/postgres"
    """The PostgreSQL server of the PG section; a fresh database is made on it per system."""
    pg_replicas: tuple[int, ...] = (1, 2, 3)
    """The hatchetd replica counts measured on PostgreSQL."""
    pg_runs: int = 2000
    """One-step runs (procrastinate: tasks) for the PG throughput figure."""
    pg_slots: int = 12
    """Worker slots in total, the same for every replica count (split evenly over one worker
    per replica) and for procrastinate (its worker's concurrency): 12 divides by 1, 2 and 3."""


QUICK = Config(
    runs=1000,
    latency_samples=100,
    chain_samples=20,
    app_samples=100,
    app_burst=200,
    app_chain_samples=20,
    ingest_single=1000,
    ingest_bulk=5000,
    reloads=5,
    help_runs=3,
    startup_runs=5,
    tui_history=20_000,
    tui_opens=2,
    phase_timeout=45.0,
    pg_runs=500,
)
