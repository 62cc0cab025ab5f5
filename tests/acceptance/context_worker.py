"""A worker written the way docs/sdk.md tells users to write one, for test_worker_context.py.

    python tests/acceptance/context_worker.py

`nap:sleep` sleeps `input.seconds` in short naps, checking `if ctx.cancelled:` between them, and
returns what `ctx` told it about the step. Address from HATCHET_ADDRESS.
"""

from __future__ import annotations

import time
from typing import Any

from hatchet_cli import Context, Worker

worker = Worker("context-worker", slots=4)


@worker.action("nap:sleep")
def nap(input: dict[str, Any], ctx: Context) -> dict[str, Any]:
    started = time.monotonic()
    while time.monotonic() - started < input["seconds"]:
        if ctx.cancelled:
            ctx.log(f"cancelled after {time.monotonic() - started:.1f}s; returning early")
            return {"cancelled": True}
        time.sleep(0.05)
    return {
        "slept": round(time.monotonic() - started, 3),
        "run_and_step": f"{ctx.workflow_run_id}:{ctx.step_id}",  # an idempotency key
        "step_id": ctx.step_id,
        "workflow_name": ctx.workflow_name,
        "event": None if ctx.event is None else {"id": ctx.event.id, "key": ctx.event.key},
    }


if __name__ == "__main__":
    worker.run()  # the test's `--name` is ignored: a user's worker names itself
