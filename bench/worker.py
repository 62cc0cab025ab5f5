"""The benchmark's worker: a real SDK worker with one trivial action.

    python -m bench.worker --address URL --slots N

`bench:noop` records when it started (wall-clock `time.time()`, comparable across the processes
of one machine) and returns it as its output, so the benchmark can read, from the store, when the
worker began each step. It is `async def`, so no thread hop: the SDK's cheapest path.
"""

from __future__ import annotations

import argparse
import logging
import os
import time
from typing import Any

from hatchet_cli.sdk import Context, Worker

ACTION = "bench:noop"


def build(address: str, slots: int, name: str = "bench-worker") -> Worker:
    worker = Worker(name, slots=slots, address=address)

    @worker.action(ACTION)
    async def noop(input: Any, ctx: Context) -> dict[str, float]:
        return {"started": time.time()}

    return worker


def main() -> None:
    parser = argparse.ArgumentParser(prog="bench.worker")
    parser.add_argument("--address", required=True)
    parser.add_argument("--slots", type=int, default=1000)
    parser.add_argument("--name", default="bench-worker")
    args = parser.parse_args()
    logging.basicConfig(level=os.environ.get("HATCHET_LOG_LEVEL", "WARNING").upper())
    build(args.address, args.slots, args.name).run()


if __name__ == "__main__":
    main()
