"""A worker for the reliability tests: actions whose duration and output the test controls.

    python tests/reliability/reliability_worker.py [--name NAME] [--slots N]

- `rel:sleep` sleeps `input.seconds` (default 0) and returns `{"slept", "tag", "worker"}`;
- `rel:echo` returns its input unchanged;
- `rel:log` logs each line of `input.lines` (`ctx.log`) and returns `{"logged": count}`.

The address comes from HATCHET_ADDRESS. Each step's start and end are printed on stdout
(`started <step_run_id> <attempt>`, `finished <step_run_id> <attempt>`), flushed, so a test can
wait for a step to be running before it kills or signals something.
"""

from __future__ import annotations

import argparse
import logging
import os
import time
from typing import Any

from hatchet_cli import Context, Worker


def build(name: str, slots: int) -> Worker:
    """The worker with both actions registered."""
    worker = Worker(name, slots=slots)

    @worker.action("rel:sleep")
    def sleep(input: dict[str, Any] | None, ctx: Context) -> dict[str, Any]:
        data = input or {}
        print(f"started {ctx.step_run_id} {ctx.attempt}", flush=True)
        seconds = float(data.get("seconds", 0))
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            if ctx.cancelled.wait(min(left, 0.05)):
                raise RuntimeError("cancelled")
        print(f"finished {ctx.step_run_id} {ctx.attempt}", flush=True)
        return {"slept": seconds, "tag": data.get("tag"), "worker": name}

    @worker.action("rel:echo")
    def echo(input: Any, ctx: Context) -> Any:
        return input

    @worker.action("rel:log")
    def log(input: dict[str, Any], ctx: Context) -> dict[str, Any]:
        for line in input["lines"]:
            ctx.log(line)
        return {"logged": len(input["lines"])}

    return worker


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--name", default="reliability-worker")
    parser.add_argument("--slots", type=int, default=4)
    args = parser.parse_args()
    logging.basicConfig(level=os.environ.get("HATCHET_LOG_LEVEL", "INFO").upper())
    build(args.name, args.slots).run()


if __name__ == "__main__":
    main()
