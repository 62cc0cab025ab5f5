"""The application's path (issue 12): what an app does through each system's public client.

hatchet-cli: `hatchet_cli.Client` on one kept-alive connection, `client.events.push(...)` one
event per call, then `client.runs.wait(run_id)`, which follows the daemon's change stream. huey:
call the task (an enqueue, committed in the caller's process), then `result.get(blocking=True)`,
which polls its storage — at most every millisecond here (`max_delay=0.001`; its default is a
second). The same three shapes for both:

- one at a time: push, wait for the result, then the next push (push → result, and the push's
  acknowledgement alone);
- a burst: `app_burst` pushes one per call as fast as they are acknowledged, then wait for every
  result: tasks per second from the first push to the last result;
- a 3-step chain one at a time: push → the third step's result.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from bench.config import Config
from bench.stats import rate, summary_ms

WAIT_S = 30.0


def _one_at_a_time(
    samples: int, push: Callable[[int], Any], wait: Callable[[Any], object]
) -> dict[str, Any]:
    acks: list[float] = []
    results: list[float] = []
    for i in range(samples):
        sent = time.perf_counter()
        pushed = push(i)
        acks.append(time.perf_counter() - sent)
        wait(pushed)
        results.append(time.perf_counter() - sent)
    return {"samples": samples, "push_ack": summary_ms(acks), "push_to_result": summary_ms(results)}


def _burst(count: int, push: Callable[[int], Any], wait: Callable[[Any], object]) -> dict[str, Any]:
    started = time.perf_counter()
    pushed = [push(i) for i in range(count)]
    acknowledged = time.perf_counter()
    for handle in pushed:
        wait(handle)
    done = time.perf_counter()
    return {
        "tasks": count,
        "tasks_per_s": rate(count, done - started),
        "pushed_per_s": rate(count, acknowledged - started),
    }


def _figures(
    cfg: Config,
    push_one: Callable[[int], Any],
    push_chain: Callable[[int], Any],
    wait: Callable[[Any], object],
) -> dict[str, Any]:
    for i in range(20):  # warm-up: connections open, caches full
        wait(push_one(i))
    return {
        "one_at_a_time": _one_at_a_time(cfg.app_samples, push_one, wait),
        "burst": _burst(cfg.app_burst, push_one, wait),
        "chain": _one_at_a_time(cfg.app_chain_samples, push_chain, wait),
    }


def hatchet(cfg: Config, address: str, one_key: str, chain_key: str) -> dict[str, Any]:
    """The figures through `hatchet_cli.Client` against a running daemon and worker: events
    with `one_key` start a one-step run, `chain_key` a three-step one."""
    from hatchet_cli import Client

    with Client(address) as client:

        def push(key: str) -> Callable[[int], str]:
            return lambda i: client.events.push(key, {"i": i}).run_ids[0]

        def wait(run_id: str) -> None:
            trace = client.runs.wait(run_id, timeout=WAIT_S)
            if trace.run.status != "SUCCEEDED":
                raise RuntimeError(f"run {run_id} ended {trace.run.status}")

        return _figures(cfg, push(one_key), push(chain_key), wait)


def huey(cfg: Config, app: Any) -> dict[str, Any]:
    """The same through huey's task call and `Result.get`, with its consumer running."""
    noop = app.noop

    def chain(_: int) -> Any:
        *_, last = app.huey.enqueue(noop.s().then(noop).then(noop))
        return last

    def wait(result: Any) -> None:
        result.get(blocking=True, timeout=WAIT_S, max_delay=0.001)

    return _figures(cfg, lambda _: noop(), chain, wait)
