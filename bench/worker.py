"""The benchmark's worker: a real SDK worker with one trivial action.

    python -m bench.worker --address URL --slots N [--name NAME] [--starts FILE]

`bench:noop` records when it started (wall-clock `time.time()`, comparable across the processes
of one machine) and returns it as its output, so the benchmark can read, from the store, when the
worker began each step. It is `async def`, so no thread hop: the SDK's cheapest path.

With `--starts`, each call also appends its workflow run's id to FILE: what the worker really
executed, counted beside what the store says (the PostgreSQL section's exactly-once check).
"""

from __future__ import annotations

import argparse
import logging
import os
import time
from pathlib import Path
from typing import Any, TextIO

from hatchet_cli.sdk import Context, Worker

ACTION = "bench:noop"


def build(
    address: str, slots: int, name: str = "bench-worker", starts: Path | None = None
) -> Worker:
    worker = Worker(name, slots=slots, address=address)
    # Line-buffered: one write per call, and nothing lost if the worker is killed.
    journal: TextIO | None = starts.open("a", buffering=1) if starts else None

    @worker.action(ACTION)
    async def noop(input: Any, ctx: Context) -> dict[str, float]:
        started = time.time()
        if journal is not None:
            journal.write(f"{ctx.workflow_run_id}\n")
        return {"started": started}

    return worker


def main() -> None:
    parser = argparse.ArgumentParser(prog="bench.worker")
    parser.add_argument("--address", required=True)
    parser.add_argument("--slots", type=int, default=1000)
    parser.add_argument("--name", default="bench-worker")
    parser.add_argument("--starts", type=Path, help="append each run the action starts here")
    args = parser.parse_args()
    logging.basicConfig(level=os.environ.get("HATCHET_LOG_LEVEL", "WARNING").upper())
    build(args.address, args.slots, args.name, args.starts).run()


if __name__ == "__main__":
    main()
