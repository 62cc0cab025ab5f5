"""A thread pool for sync actions whose threads never keep the process alive.

`concurrent.futures.ThreadPoolExecutor` joins its threads when the interpreter exits, so one sync
action stuck in a loop that ignores `ctx.cancelled` would make even a second Ctrl-C hang. These
threads are daemon threads: an orderly shutdown still waits for them, a forced exit does not.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from concurrent.futures import Executor, Future
from typing import Any, ParamSpec, TypeVar

P = ParamSpec("P")
T = TypeVar("T")

_WorkItem = tuple[Future[Any], Callable[[], Any]] | None


class DaemonThreadPool(Executor):
    """At most `size` daemon threads, started as work arrives."""

    def __init__(self, size: int, *, name: str = "hatchet-action") -> None:
        self._size = size
        self._name = name
        self._queue: queue.SimpleQueue[_WorkItem] = queue.SimpleQueue()
        self._threads: list[threading.Thread] = []
        self._idle = threading.Semaphore(0)
        """Released by a thread each time it finishes an item: a count of the idle ones."""
        self._lock = threading.Lock()
        self._shutdown = False
        self._busy = 0

    @property
    def busy(self) -> int:
        """How many threads are running an item right now."""
        return self._busy

    def submit(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> Future[T]:
        future: Future[T] = Future()
        with self._lock:
            if self._shutdown:
                raise RuntimeError("cannot run an action: the worker's thread pool is shut down")
            self._queue.put((future, lambda: fn(*args, **kwargs)))
            if not self._idle.acquire(blocking=False) and len(self._threads) < self._size:
                thread = threading.Thread(
                    target=self._work, name=f"{self._name}-{len(self._threads)}", daemon=True
                )
                self._threads.append(thread)
                thread.start()
        return future

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        with self._lock:
            self._shutdown = True
            threads = list(self._threads)
        if cancel_futures:
            while True:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is not None:
                    item[0].cancel()
        for _ in threads:
            self._queue.put(None)
        if wait:
            for thread in threads:
                thread.join()

    def _work(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            future, call = item
            if future.set_running_or_notify_cancel():
                with self._lock:
                    self._busy += 1
                try:
                    result = call()
                except BaseException as exc:  # handed to whoever awaits the future
                    future.set_exception(exc)
                else:
                    future.set_result(result)
                finally:
                    with self._lock:
                        self._busy -= 1
                del future, call, item  # drop references before idling
            self._idle.release()
