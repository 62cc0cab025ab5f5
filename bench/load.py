"""Load shapes shared by both systems: concurrent senders, a paced sequential sender, a poll."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from datetime import datetime

from bench.procs import BenchError


def spread(total: int, size: int, parts: int) -> list[list[int]]:
    """Cut `total` items into chunks of at most `size` and deal the chunk sizes round-robin
    to `parts` senders."""
    chunks = [min(size, total - start) for start in range(0, total, size)]
    return [chunks[i::parts] for i in range(parts)]


def concurrently(senders: Sequence[Callable[[], None]]) -> float:
    """Run each sender in its own thread; the time.time() at which the last one finished.
    The first exception a sender raised is raised here once all have ended."""
    errors: list[BaseException] = []
    finished: list[float] = []
    lock = threading.Lock()

    def wrap(sender: Callable[[], None]) -> None:
        try:
            sender()
        except BaseException as exc:
            with lock:
                errors.append(exc)
        finally:
            with lock:
                finished.append(time.time())

    threads = [threading.Thread(target=wrap, args=(s,), daemon=True) for s in senders]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return max(finished)


class Background:
    """`concurrently` on a thread of its own, so that the caller can poll meanwhile."""

    def __init__(self, senders: Sequence[Callable[[], None]]) -> None:
        self._senders = senders
        self._finished_at: float | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            self._finished_at = concurrently(self._senders)
        except BaseException as exc:
            self._error = exc

    def join(self, timeout: float) -> float:
        """The time.time() the last sender finished; re-raises what a sender raised."""
        self._thread.join(timeout)
        if self._thread.is_alive():
            raise BenchError(f"the senders did not finish within {timeout:g} s")
        if self._error is not None:
            raise self._error
        assert self._finished_at is not None
        return self._finished_at


def paced(count: int, per_second: float, send: Callable[[int], None]) -> None:
    """Call `send(i)` `count` times, one after another, starting one every 1/per_second
    seconds (later if a call takes longer): a single sequential sender at a low rate."""
    interval = 1.0 / per_second
    next_at = time.monotonic()
    for i in range(count):
        delay = next_at - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        next_at = max(next_at + interval, time.monotonic())
        send(i)


def wait_until(
    read: Callable[[], int], target: int, *, timeout: float, interval: float, what: str
) -> float:
    """Poll `read()` until it reaches `target`; the time.time() at which it was seen."""
    deadline = time.monotonic() + timeout
    while True:
        value = read()
        if value >= target:
            return time.time()
        if time.monotonic() > deadline:
            raise BenchError(f"timed out after {timeout:g} s waiting for {what} ({value}/{target})")
        time.sleep(interval)


def drive(
    senders: Sequence[Callable[[], None]],
    read: Callable[[], int],
    target: int,
    *,
    timeout: float,
    what: str,
) -> tuple[float, float, float]:
    """Run `senders` in the background until `read()` reaches `target`: the time.time() they
    started, the one `target` was seen, and the one the last sender finished."""
    started = time.time()
    background = Background(senders)
    done_at = wait_until(read, target, timeout=timeout, interval=0.01, what=what)
    return started, done_at, background.join(timeout)


def epoch(text: str) -> float:
    """An RFC 3339 time from the API as seconds since the epoch (time.time()'s scale)."""
    return datetime.fromisoformat(text).timestamp()
